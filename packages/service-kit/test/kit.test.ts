// What every Meridian service inherits from the kit: problem+json for every kind of bad
// request, request ids, redacted logs, security headers, CORS, schema-driven serialization,
// OpenAPI, metrics and probes. Real Postgres and Redis underneath.
import { Writable } from 'node:stream';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceInstance } from '../src/index.ts';
import { buildFixture, fixtureConfig } from './fixtures/fixture-app.ts';

const logLines: Array<Record<string, unknown>> = [];
const logStream = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
    done();
  },
});

let app: ServiceInstance;

beforeAll(async () => {
  app = await buildFixture(
    fixtureConfig({ BODY_LIMIT_BYTES: '2048', CORS_ORIGINS: 'https://shop.example' }),
    { level: 'info', stream: logStream },
  );
  await app.ready();
});
afterAll(() => app.close());

function expectProblem(res: { headers: Record<string, unknown>; json(): unknown }, status: number) {
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  expect(body.type).toBe(`urn:meridian:problem:${body.code}`);
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body;
}

describe('problem+json for bad requests', () => {
  it('unknown route → 404 route-not-found', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing-here?token=abc' });
    expect(res.statusCode).toBe(404);
    const body = expectProblem(res, 404);
    expect(body.code).toBe('route-not-found');
    expect(body.instance).toBe('/v1/nothing-here'); // the query string is not echoed
  });

  it('malformed JSON → 400 malformed-body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/widgets',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "a",',
    });
    expect(res.statusCode).toBe(400);
    expect(expectProblem(res, 400).code).toBe('malformed-body');
  });

  it('body over the limit → 413 payload-too-large', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/widgets',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(4096), size: 1 }),
    });
    expect(res.statusCode).toBe(413);
    expect(expectProblem(res, 413).code).toBe('payload-too-large');
  });

  it('unknown body field → 400 naming the field (no silent stripping)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/widgets',
      payload: { name: 'lamp', size: 3, role: 'admin' },
    });
    expect(res.statusCode).toBe(400);
    const body = expectProblem(res, 400);
    expect(body.code).toBe('validation-failed');
    expect(body.errors).toContainEqual({
      in: 'body',
      pointer: '/role',
      detail: 'is not an allowed field',
    });
  });

  it('several bad fields → one field-level error each', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/widgets',
      payload: { name: 5, size: 0 },
    });
    const body = expectProblem(res, 400);
    const pointers = (body.errors as Array<{ pointer: string }>).map((e) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/name', '/size']));
  });

  it('bad path parameter → 400 in params', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/widgets/abc' });
    const body = expectProblem(res, 400);
    expect(body.errors).toEqual([expect.objectContaining({ in: 'params', pointer: '/id' })]);
  });

  it('unsupported media type → 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/widgets',
      headers: { 'content-type': 'application/x-unknown' },
      payload: 'name=lamp',
    });
    expect(res.statusCode).toBe(415);
    expect(expectProblem(res, 415).code).toBe('unsupported-media-type');
  });

  it('a thrown error → 500 with a masked detail, and the real error in the log', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/boom' });
    expect(res.statusCode).toBe(500);
    const body = expectProblem(res, 500);
    expect(JSON.stringify(body)).not.toContain('s3cret');
    const logged = logLines.find(
      (l) => l.requestId === body.requestId && l.msg === 'request failed',
    );
    expect(JSON.stringify(logged?.err)).toContain('s3cret');
  });
});

describe('serialization', () => {
  it('drops fields the response schema does not declare', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/widgets',
      payload: { name: 'lamp', size: 2 },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: 1, name: 'lamp' });
  });
});

describe('request ids and logs', () => {
  it('echoes a well-formed x-request-id and puts it on every log line of the request', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/widgets',
      headers: { 'x-request-id': 'req-abc.123', authorization: 'Bearer top-secret-token' },
      payload: { name: 'lamp', size: 2 },
    });
    expect(res.headers['x-request-id']).toBe('req-abc.123');
    const lines = logLines.filter((l) => l.requestId === 'req-abc.123');
    expect(lines.map((l) => l.msg)).toEqual(['widget created', 'request completed']);
    expect(lines[1]).toMatchObject({ method: 'POST', route: '/v1/widgets', statusCode: 201 });
  });

  it('replaces an unsafe x-request-id with a generated one', async () => {
    const res = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'a b\nc' } });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never writes passwords or tokens to the log', async () => {
    const text = logLines.map((l) => JSON.stringify(l)).join('\n');
    expect(text).toContain('widget created');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('top-secret-token');
  });
});

describe('security headers and CORS', () => {
  it('sets the API security headers on every response, errors included', async () => {
    for (const url of ['/health/live', '/v1/nothing-here']) {
      const res = await app.inject({ url });
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toContain('max-age=');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-dns-prefetch-control']).toBeUndefined(); // HTML-only, left out
    }
  });

  it('lets the docs page run its scripts under its own CSP', async () => {
    const res = await app.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('allows listed origins only', async () => {
    const allowed = await app.inject({
      url: '/v1/widgets/1',
      headers: { origin: 'https://shop.example' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const other = await app.inject({
      url: '/v1/widgets/1',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a CORS preflight for the API', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/v1/widgets',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
  });

  it('lets a browser read the 404 problem of an unknown API URL', async () => {
    const res = await app.inject({
      url: '/v1/no-such-thing',
      headers: { origin: 'https://shop.example' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
  });

  it('spends no CORS work on probes, which browsers never call', async () => {
    const res = await app.inject({
      url: '/health/live',
      headers: { origin: 'https://shop.example' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('docs, metrics, probes', () => {
  it('/docs/json is a valid OpenAPI 3.1 document with the routes and the Problem schema', async () => {
    const res = await app.inject({ url: '/docs/json' });
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/widgets', '/v1/widgets/{id}', '/health/ready']),
    );
    expect(doc.paths['/metrics']).toBeUndefined();
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('/docs serves the interactive UI', async () => {
    const res = await app.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger-ui');
  });

  it('/metrics has the HTTP histogram labelled by route template, and runtime metrics', async () => {
    await app.inject({ url: '/v1/widgets/7' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{service="fixture",method="GET",route="\/v1\/widgets\/:id",status_code="200"\} \d+/,
    );
    expect(res.body).not.toContain('route="/v1/widgets/7"');
    expect(res.body).toContain('nodejs_eventloop_lag_seconds');
    expect(res.body).toContain('db_pool_connections_total');
  });

  it('/health/live and /health/ready answer 200 when Postgres and Redis are up', async () => {
    expect((await app.inject({ url: '/health/live' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { redis: 'up', postgres: 'up' } });
  });
});
