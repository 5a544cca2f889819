// Timeouts and retries against a real callee: each attempt is bounded, only idempotent calls
// are retried, and only for failures a retry can cure (network, timeout, 502/503/504, 429).
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

const unavailable = async (promise: Promise<unknown>) => {
  const err = await failure(promise);
  expect(err).toBeInstanceOf(ServiceUnavailableError);
  return err as ServiceUnavailableError;
};

describe('timeouts', () => {
  // 250 ms, not less: on a CI machine running every suite at once, an attempt must have time
  // to reach the callee before it is cut, or the hit count below says nothing.
  it('bounds every attempt: a callee that takes 2 s fails after 3 × 250 ms plus backoff', async () => {
    const registry = new Registry();
    callee.respond({ status: 200, delayMs: 2_000, body: { late: true } });
    const client = testClient(callee.url, {
      registry,
      timeoutMs: 250,
      retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    });
    const started = performance.now();
    const err = await unavailable(
      client.request({ method: 'GET', path: '/slow', idempotent: true }),
    );
    const elapsed = performance.now() - started;
    expect(err.reason).toBe('timeout');
    expect(err.attempts).toBe(3);
    expect(callee.hits).toBe(3);
    // Documented bound: attempts × timeoutMs + (attempts − 1) × maxDelayMs = 850 ms.
    expect(elapsed).toBeGreaterThanOrEqual(740);
    expect(elapsed).toBeLessThan(2_000); // one un-timed attempt alone would take 2 s
    expect(
      await metricValue(registry, 'service_client_requests_total', { outcome: 'timeout' }),
    ).toBe(3);
    expect(
      await metricValue(
        registry,
        'service_client_request_duration_seconds',
        { callee: 'catalog' },
        'service_client_request_duration_seconds_count',
      ),
    ).toBe(3);
  });

  it('covers the body too: headers on time, then a stalled body, is a timeout', async () => {
    callee.respond({ status: 200, stallBody: true });
    const client = testClient(callee.url, { timeoutMs: 300 });
    const started = performance.now();
    const err = await unavailable(
      client.request({ method: 'POST', path: '/slow', idempotent: false }),
    );
    expect(err.reason).toBe('timeout');
    expect(callee.hits).toBe(1);
    // The stalled body never ends: only the timeout ends the call (slack for a loaded CI).
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});

describe('retries', () => {
  it('retries an idempotent call on 503 and succeeds on the 3rd attempt', async () => {
    const registry = new Registry();
    callee.respond({ status: 503 }, { status: 503 }, { status: 201, body: { id: 'r1' } });
    const res = await testClient(callee.url, { registry }).request<{ id: string }>({
      method: 'POST',
      path: '/v1/inventory/reservations',
      body: { reservationKey: 'order-1' },
      idempotent: true,
    });
    expect(res.body.id).toBe('r1');
    expect(callee.hits).toBe(3);
    // Every attempt carried the same reservation key: that is what makes the retry safe.
    expect(
      callee.requests.map((r) => (r.body as { reservationKey: string }).reservationKey),
    ).toEqual(['order-1', 'order-1', 'order-1']);
    const count = (outcome: string) =>
      metricValue(registry, 'service_client_requests_total', {
        callee: 'catalog',
        method: 'POST',
        outcome,
      });
    expect(await count('server_error')).toBe(2);
    expect(await count('success')).toBe(1);
  });

  it('retries 502 and 504 the same way', async () => {
    callee.respond({ status: 502 }, { status: 504 }, { status: 200, body: {} });
    await testClient(callee.url).request({ method: 'GET', path: '/x', idempotent: true });
    expect(callee.hits).toBe(3);
  });

  it('gives up after the last attempt with 503 server-error and the callee’s status', async () => {
    callee.respond({ status: 503 });
    const err = await unavailable(
      testClient(callee.url).request({ method: 'GET', path: '/x', idempotent: true }),
    );
    expect(err.reason).toBe('server-error');
    expect(err.calleeStatus).toBe(503);
    expect(err.attempts).toBe(3);
    expect(callee.hits).toBe(3);
  });

  it('never retries a call that is not idempotent', async () => {
    callee.respond({ status: 503 }, { status: 201, body: {} });
    const err = await unavailable(
      testClient(callee.url).request({
        method: 'POST',
        path: '/orders',
        body: {},
        idempotent: false,
      }),
    );
    expect(err.reason).toBe('server-error');
    expect(callee.hits).toBe(1);
  });

  it('never retries a 4xx, even when the call is idempotent', async () => {
    callee.respond(
      { status: 422, contentType: PROBLEM, body: { code: 'reservation-key-reused' } },
      { status: 201, body: {} },
    );
    const err = await failure(
      testClient(callee.url).request({ method: 'POST', path: '/r', body: {}, idempotent: true }),
    );
    expect(err).toBeInstanceOf(ServiceCallError);
    expect((err as ServiceCallError).problem?.code).toBe('reservation-key-reused');
    expect(callee.hits).toBe(1);
  });

  it('does not retry a 500: a bug in the callee will not go away in 100 ms', async () => {
    callee.respond({ status: 500 }, { status: 200, body: {} });
    const err = await unavailable(
      testClient(callee.url).request({ method: 'GET', path: '/x', idempotent: true }),
    );
    expect(err.calleeStatus).toBe(500);
    expect(callee.hits).toBe(1);
  });

  it('retries after a reset connection, and only when idempotent', async () => {
    callee.respond({ reset: true }, { reset: true }, { status: 200, body: { ok: true } });
    const res = await testClient(callee.url).request({
      method: 'POST',
      path: '/r',
      body: {},
      idempotent: true,
    });
    expect(res.status).toBe(200);
    expect(callee.hits).toBe(3);

    callee.requests.length = 0;
    callee.respond({ reset: true }, { status: 200, body: {} });
    const err = await unavailable(
      testClient(callee.url).request({ method: 'POST', path: '/r', body: {}, idempotent: false }),
    );
    expect(err.reason).toBe('network-error');
    expect(callee.hits).toBe(1);
  });

  it('fails fast with 503 when the connection is refused', async () => {
    const registry = new Registry();
    const client = testClient(await closedPort(), { registry, timeoutMs: 1_000 });
    const started = performance.now();
    const err = await unavailable(client.request({ method: 'GET', path: '/x', idempotent: true }));
    expect(err.reason).toBe('network-error');
    expect((err.cause as Error).message).toMatch(/ECONNREFUSED/);
    expect(err.statusCode).toBe(503);
    expect(err.code).toBe('dependency-unavailable');
    expect(err.attempts).toBe(3);
    // Far below one timeout: nothing to wait for but two short backoffs.
    expect(performance.now() - started).toBeLessThan(500);
    expect(
      await metricValue(registry, 'service_client_requests_total', { outcome: 'network_error' }),
    ).toBe(3);
  });
});

describe('Retry-After', () => {
  it('waits as long as a 503’s Retry-After asks, when within maxDelayMs', async () => {
    callee.respond({ status: 503, headers: { 'retry-after': '1' } }, { status: 200, body: {} });
    const client = testClient(callee.url, {
      retries: { attempts: 2, baseDelayMs: 10, maxDelayMs: 2_000 },
    });
    const started = performance.now();
    await client.request({ method: 'GET', path: '/x', idempotent: true });
    // Backoff alone would have waited under 10 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(callee.hits).toBe(2);
  });

  it('retries an idempotent 429 with backoff', async () => {
    callee.respond({ status: 429 }, { status: 200, body: { ok: true } });
    const res = await testClient(callee.url).request({
      method: 'GET',
      path: '/x',
      idempotent: true,
    });
    expect(res.status).toBe(200);
    expect(callee.hits).toBe(2);
  });

  it('gives up at once when Retry-After is beyond maxDelayMs, passing it on', async () => {
    callee.respond({ status: 429, headers: { 'retry-after': '30' } }, { status: 200, body: {} });
    const started = performance.now();
    const err = await unavailable(
      testClient(callee.url).request({ method: 'GET', path: '/x', idempotent: true }),
    );
    expect(performance.now() - started).toBeLessThan(200);
    expect(err.reason).toBe('rate-limited');
    expect(err.calleeStatus).toBe(429);
    expect(err.headers).toEqual({ 'retry-after': '30' });
    expect(callee.hits).toBe(1);
  });

  it('does not retry a 429 for a call that is not idempotent', async () => {
    callee.respond({ status: 429 }, { status: 200, body: {} });
    const err = await unavailable(
      testClient(callee.url).request({ method: 'POST', path: '/x', body: {}, idempotent: false }),
    );
    expect(err.reason).toBe('rate-limited');
    expect(callee.hits).toBe(1);
  });
});
