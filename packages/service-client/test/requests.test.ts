// The request itself, against a real callee: what is sent, what comes back, how a 4xx, a
// 401 and a caller's abort are handled, and how the errors render in a Meridian service.
import { problemDetails } from '@meridian/errors';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ServiceCallError, ServiceUnavailableError } from '../src/index.ts';
import {
  type Callee,
  closedPort,
  failure,
  metricValue,
  PROBLEM,
  startCallee,
  testClient,
} from './helpers.ts';

let callee: Callee;
beforeAll(async () => {
  callee = await startCallee();
});
afterAll(() => callee.close());
beforeEach(() => {
  callee.requests.length = 0;
});

interface Product {
  id: string;
  price: number;
}

describe('request', () => {
  it('returns the typed body, status and headers of a 2xx', async () => {
    callee.respond({ status: 200, body: { id: 'p1', price: 1299 }, headers: { etag: '"v1"' } });
    const res = await testClient(callee.url).request<Product>({
      method: 'GET',
      path: '/v1/products/p1',
      idempotent: true,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'p1', price: 1299 });
    expect(res.body.price).toBe(1299);
    expect(res.headers.get('etag')).toBe('"v1"');
  });

  it('sends the JSON body, the query and the method to the path under baseUrl', async () => {
    callee.respond({ status: 201, body: { id: 'r1' } });
    const res = await testClient(`${callee.url}/`).request<{ id: string }>({
      method: 'POST',
      path: '/v1/inventory/reservations',
      query: { dryRun: false, ids: ['a', 'b'], skip: undefined },
      body: { reservationKey: 'order-1', lines: [{ productId: 'p1', quantity: 2 }] },
      idempotent: true,
    });
    expect(res.status).toBe(201);
    const [seen] = callee.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/v1/inventory/reservations?dryRun=false&ids=a&ids=b');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.body).toEqual({
      reservationKey: 'order-1',
      lines: [{ productId: 'p1', quantity: 2 }],
    });
  });

  it('sends headers() (the request id) and the service token on every request', async () => {
    let requestId = 'req-1';
    const client = testClient(callee.url, {
      headers: () => ({ 'x-request-id': requestId }),
      token: async () => 'service-token-1',
    });
    callee.respond({ status: 204 });
    const first = await client.request({ method: 'DELETE', path: '/x', idempotent: true });
    requestId = 'req-2';
    await client.request({ method: 'DELETE', path: '/x', idempotent: true });
    expect(first.body).toBeUndefined();
    expect(callee.requests.map((r) => r.headers['x-request-id'])).toEqual(['req-1', 'req-2']);
    expect(callee.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer service-token-1',
      'Bearer service-token-1',
    ]);
  });

  it('returns a status listed in expectedStatus instead of throwing', async () => {
    callee.respond({ status: 404, contentType: PROBLEM, body: { status: 404, code: 'not-found' } });
    const res = await testClient(callee.url).request<{ code: string }>({
      method: 'GET',
      path: '/v1/products/gone',
      idempotent: true,
      expectedStatus: [200, 404],
    });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not-found');
  });

  it('when the callee answers 409 problem+json, throws ServiceCallError with the problem, once', async () => {
    callee.respond({
      status: 409,
      contentType: PROBLEM,
      body: { status: 409, code: 'insufficient-stock', detail: 'Only 1 left.', productId: 'p1' },
    });
    const err = await failure(
      testClient(callee.url).request({
        method: 'POST',
        path: '/v1/inventory/reservations',
        body: {},
        idempotent: true,
      }),
    );
    expect(err).toBeInstanceOf(ServiceCallError);
    const call = err as ServiceCallError;
    expect(call.status).toBe(409);
    expect(call.problem).toMatchObject({ code: 'insufficient-stock', productId: 'p1' });
    expect(call.message).toContain('insufficient-stock');
    expect(callee.hits).toBe(1); // a 4xx is an answer: never retried
  });

  it('keeps a non-problem 4xx body, without pretending it is a problem', async () => {
    callee.respond({ status: 400, contentType: 'text/plain', raw: 'nope' });
    const err = (await failure(
      testClient(callee.url).request({ method: 'GET', path: '/x', idempotent: true }),
    )) as ServiceCallError;
    expect(err.status).toBe(400);
    expect(err.problem).toBeUndefined();
    expect(err.body).toBe('nope');
  });

  it('throws on a 2xx with malformed JSON: a broken contract, not data', async () => {
    callee.respond({ status: 200, contentType: 'application/json', raw: '{"id":' });
    const err = await failure(
      testClient(callee.url).request({ method: 'GET', path: '/x', idempotent: true }),
    );
    expect(err).not.toBeInstanceOf(ServiceUnavailableError);
    expect(err.message).toBe('catalog answered 200 with malformed JSON');
    expect(callee.hits).toBe(1);
  });
});

describe('401 from the callee', () => {
  it('invalidates the token once and replays with a fresh one', async () => {
    let issued = 0;
    let invalidated = 0;
    const client = testClient(callee.url, {
      token: async () => `token-${issued === invalidated ? ++issued : issued}`,
      onUnauthorized: () => {
        invalidated++;
      },
    });
    callee.respond(
      { status: 401, contentType: PROBLEM, body: { code: 'invalid-token' } },
      {
        status: 200,
        body: { ok: true },
      },
    );
    // Not idempotent: a 401 is refused before anything happens, so one replay is still safe.
    const res = await client.request({ method: 'POST', path: '/x', body: {}, idempotent: false });
    expect(res.status).toBe(200);
    expect(invalidated).toBe(1);
    expect(callee.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  it('gives up after the one replay: a second 401 is a ServiceCallError', async () => {
    let invalidated = 0;
    const client = testClient(callee.url, {
      token: async () => 'still-bad',
      onUnauthorized: () => {
        invalidated++;
      },
    });
    callee.respond({ status: 401, contentType: PROBLEM, body: { code: 'invalid-token' } });
    const err = (await failure(
      client.request({ method: 'GET', path: '/x', idempotent: true }),
    )) as ServiceCallError;
    expect(err).toBeInstanceOf(ServiceCallError);
    expect(err.status).toBe(401);
    expect(invalidated).toBe(1);
    expect(callee.hits).toBe(2);
  });

  it('without onUnauthorized, does not replay (the same token would be refused again)', async () => {
    callee.respond({ status: 401, contentType: PROBLEM, body: { code: 'invalid-token' } });
    const client = testClient(callee.url, { token: async () => 't' });
    const err = await failure(client.request({ method: 'GET', path: '/x', idempotent: true }));
    expect((err as ServiceCallError).status).toBe(401);
    expect(callee.hits).toBe(1);
  });

  it('a token source that fails is a 503, and the callee is not called', async () => {
    const client = testClient(callee.url, {
      token: () => Promise.reject(new Error('auth is down')),
    });
    const err = (await failure(
      client.request({ method: 'GET', path: '/x', idempotent: true }),
    )) as ServiceUnavailableError;
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.reason).toBe('token-unavailable');
    expect(callee.hits).toBe(0);
  });
});

describe('caller cancellation', () => {
  it('rejects with the caller’s reason and does not count against the callee', async () => {
    const registry = new Registry();
    const client = testClient(callee.url, {
      registry,
      timeoutMs: 2_000,
      breaker: { volumeThreshold: 1, errorThresholdPercentage: 0, resetTimeoutMs: 60_000 },
    });
    callee.respond({ status: 200, delayMs: 500, body: { ok: true } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    const err = await failure(
      client.request({ method: 'GET', path: '/x', idempotent: true, signal: controller.signal }),
    );
    expect(err.message).toBe('client went away');
    expect(callee.hits).toBe(1); // not retried
    // One counted failure would have opened this breaker (volume 1, threshold 0 %).
    expect(client.breakerState).toBe('closed');
    expect(
      await metricValue(registry, 'service_client_requests_total', { outcome: 'aborted' }),
    ).toBe(1);
  });
});

describe('close()', () => {
  it('shuts the breaker down: later requests reject without touching the network', async () => {
    const client = testClient(callee.url);
    client.close();
    const err = await failure(client.request({ method: 'GET', path: '/x', idempotent: true }));
    expect(err.message).toMatch(/client is closed/);
    expect(callee.hits).toBe(0);
  });
});

describe('in a Meridian service (problem+json handler)', () => {
  it('renders ServiceUnavailableError as 503 dependency-unavailable with Retry-After; an unmapped ServiceCallError as a masked 500', async () => {
    const down = testClient(await closedPort(), { retries: { attempts: 1 } });
    const up = testClient(callee.url);
    callee.respond({ status: 409, contentType: PROBLEM, body: { code: 'insufficient-stock' } });
    const app = Fastify();
    await app.register(problemDetails);
    app.post('/checkout-down', () =>
      down.request({ method: 'POST', path: '/r', idempotent: true }),
    );
    app.post('/checkout-unmapped', () =>
      up.request({ method: 'POST', path: '/r', idempotent: true }),
    );

    const res = await app.inject({ method: 'POST', url: '/checkout-down' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({
      status: 503,
      code: 'dependency-unavailable',
      dependency: 'catalog',
    });
    expect(res.json().detail).toContain('catalog');

    const leaked = await app.inject({ method: 'POST', url: '/checkout-unmapped' });
    expect(leaked.statusCode).toBe(500);
    expect(leaked.json().code).toBe('internal-error');
    expect(leaked.body).not.toContain('insufficient-stock');
    await app.close();
  });
});
