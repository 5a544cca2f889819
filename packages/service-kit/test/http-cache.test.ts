// Opt-in HTTP caching (`config.httpCache`): strong ETags over the bytes sent, If-None-Match →
// 304 with no body, Cache-Control fit for a CDN, Vary. Routes that do not opt in, errors and
// unsafe methods are left alone. A service built by the kit, on real Postgres and Redis.
import Fastify from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createService,
  httpCache,
  ifNoneMatchMatches,
  type RoutePlugin,
  type ServiceInstance,
  strongEtag,
} from '../src/index.ts';
import { fixtureConfig } from './fixtures/fixture-app.ts';

let body = { name: 'first' };

const routes: RoutePlugin = async (app) => {
  const cached = { httpCache: { maxAgeSec: 60, staleWhileRevalidateSec: 300 } };
  app.get('/v1/cached', { config: cached }, async () => body);
  app.get(
    '/v1/cached-private',
    {
      config: {
        httpCache: { maxAgeSec: 10, staleWhileRevalidateSec: 20, public: false, vary: ['Cookie'] },
      },
    },
    async () => body,
  );
  app.get(
    '/v1/cached-vary',
    { config: { httpCache: { ...cached.httpCache, vary: ['Authorization'] } } },
    async () => body,
  );
  app.get(
    '/v1/cached/:n',
    { config: cached, schema: { params: Type.Object({ n: Type.Integer({ maximum: 10 }) }) } },
    async (request, reply) => {
      if (request.params.n === 4) return reply.code(404).send({ missing: true });
      if (request.params.n === 5) throw new Error('boom');
      if (request.params.n === 1) return reply.code(201).send(body);
      return body;
    },
  );
  app.post('/v1/cached', { config: cached }, async () => body);
  app.get('/v1/plain', async () => body);
};

let app: ServiceInstance;

beforeAll(async () => {
  app = await createService({
    name: 'http-cache-fixture',
    version: '0.0.0',
    description: 'HTTP caching under test',
    config: fixtureConfig({ CORS_ORIGINS: 'https://shop.example' }),
    routes,
    auth: false,
  });
  await app.ready();
});
afterAll(() => app.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers });

describe('200 answers of a cached route', () => {
  it('carry a strong ETag over the bytes sent, Cache-Control for a CDN and the security headers', async () => {
    body = { name: 'first' };
    const res = await get('/v1/cached');
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(res.headers.etag).toBe(strongEtag(res.rawPayload));
    expect(res.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=300');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.json()).toEqual({ name: 'first' });
  });

  it('the ETag is stable for the same body and changes when the body does', async () => {
    body = { name: 'first' };
    const a = await get('/v1/cached');
    const b = await get('/v1/cached');
    expect(b.headers.etag).toBe(a.headers.etag);
    body = { name: 'second' };
    const c = await get('/v1/cached');
    expect(c.headers.etag).not.toBe(a.headers.etag);
  });

  it('Vary keeps what CORS set and adds the route’s headers', async () => {
    const res = await get('/v1/cached-vary', { origin: 'https://shop.example' });
    const vary = String(res.headers.vary)
      .split(',')
      .map((s) => s.trim().toLowerCase());
    expect(vary).toEqual(expect.arrayContaining(['origin', 'authorization']));
    expect(new Set(vary).size).toBe(vary.length);
  });
});

describe('rate-limit headers', () => {
  it('are dropped from a public cacheable answer (a CDN would show one caller’s budget to all), kept elsewhere', async () => {
    const shared = await get('/v1/cached');
    expect(shared.headers['cache-control']).toMatch(/^public/);
    expect(Object.keys(shared.headers).filter((h) => h.startsWith('ratelimit'))).toEqual([]);
    const personal = await get('/v1/cached', { authorization: 'Bearer whatever' });
    expect(personal.headers['cache-control']).toMatch(/^private/);
    expect(personal.headers['ratelimit-limit']).toBeDefined();
    expect((await get('/v1/plain')).headers['ratelimit-limit']).toBeDefined();
  });
});

describe('If-None-Match', () => {
  async function current(url = '/v1/cached') {
    return String((await get(url)).headers.etag);
  }

  function expectNotModified(res: Awaited<ReturnType<typeof get>>, etag: string) {
    expect(res.statusCode).toBe(304);
    expect(res.body).toBe('');
    expect(res.headers.etag).toBe(etag);
    expect(res.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=300');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  }

  it('the current ETag → 304 with no body, validators and cache headers kept', async () => {
    const etag = await current();
    expectNotModified(await get('/v1/cached', { 'if-none-match': etag }), etag);
  });

  it('keeps Vary on the 304', async () => {
    const etag = await current('/v1/cached-vary');
    const res = await get('/v1/cached-vary', { 'if-none-match': etag });
    expect(res.statusCode).toBe(304);
    expect(String(res.headers.vary).toLowerCase()).toContain('authorization');
  });

  it('another ETag → 200 with the body', async () => {
    const res = await get('/v1/cached', { 'if-none-match': '"not-the-current-one"' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(body);
  });

  it('a weak form of the current tag matches (weak comparison)', async () => {
    const etag = await current();
    expectNotModified(await get('/v1/cached', { 'if-none-match': `W/${etag}` }), etag);
  });

  it('a list that holds the current tag matches; one that does not → 200', async () => {
    const etag = await current();
    const hit = await get('/v1/cached', { 'if-none-match': `"a,b", W/"old" , ${etag}` });
    expectNotModified(hit, etag);
    const miss = await get('/v1/cached', { 'if-none-match': '"a,b", W/"old"' });
    expect(miss.statusCode).toBe(200);
  });

  it('* matches any current representation', async () => {
    expectNotModified(await get('/v1/cached', { 'if-none-match': '*' }), await current());
  });

  it('HEAD: same ETag as GET, and 304 on a match with no Content-Length', async () => {
    const getRes = await get('/v1/cached');
    const head = await app.inject({ method: 'HEAD', url: '/v1/cached' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.etag).toBe(getRes.headers.etag);
    expect(head.headers['content-length']).toBe(getRes.headers['content-length']);
    expect(head.headers['cache-control']).toBe(getRes.headers['cache-control']);
    const notModified = await app.inject({
      method: 'HEAD',
      url: '/v1/cached',
      headers: { 'if-none-match': String(getRes.headers.etag) },
    });
    expectNotModified(notModified, String(getRes.headers.etag));
  });

  it('the comparison itself', () => {
    expect(ifNoneMatchMatches(undefined, '"x"')).toBe(false);
    expect(ifNoneMatchMatches('"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"y", W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"xx"', '"x"')).toBe(false);
    expect(ifNoneMatchMatches('x', '"x"')).toBe(false); // not a quoted tag
    expect(ifNoneMatchMatches(' * ', '"x"')).toBe(true);
  });
});

describe('private answers', () => {
  it('a request with Authorization gets private: a CDN must not share it', async () => {
    const res = await get('/v1/cached', { authorization: 'Bearer whatever' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('private, max-age=60, stale-while-revalidate=300');
    expect(res.headers.etag).toBeDefined();
  });

  it('public: false is always private, and its vary list is applied', async () => {
    const res = await get('/v1/cached-private');
    expect(res.headers['cache-control']).toBe('private, max-age=10, stale-while-revalidate=20');
    expect(String(res.headers.vary)).toContain('Cookie');
    const notModified = await get('/v1/cached-private', {
      'if-none-match': String(res.headers.etag),
    });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.headers['cache-control']).toBe(
      'private, max-age=10, stale-while-revalidate=20',
    );
  });
});

describe('left alone', () => {
  it('routes without httpCache have no ETag or Cache-Control', async () => {
    const res = await get('/v1/plain');
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['cache-control']).toBeUndefined();
  });

  it('errors stay problem+json without cache headers, even with If-None-Match: *', async () => {
    for (const [url, status] of [
      ['/v1/cached/5', 500],
      ['/v1/cached/11', 400],
    ] as const) {
      const res = await get(url, { 'if-none-match': '*' });
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers.etag).toBeUndefined();
      expect(res.headers['cache-control']).toBeUndefined();
    }
  });

  it('non-200 answers of a cached route are untouched', async () => {
    for (const [url, status] of [
      ['/v1/cached/4', 404],
      ['/v1/cached/1', 201],
    ] as const) {
      const res = await get(url, { 'if-none-match': '*' });
      expect(res.statusCode).toBe(status);
      expect(res.headers.etag).toBeUndefined();
    }
    const ok = await get('/v1/cached/2');
    expect(ok.headers.etag).toBeDefined();
  });

  it('unsafe methods are untouched', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/cached',
      headers: { 'if-none-match': '*' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['cache-control']).toBeUndefined();
  });

  it('a bad httpCache setting fails when the route is declared', async () => {
    const bare = Fastify();
    await bare.register(httpCache);
    expect(() =>
      bare.get(
        '/x',
        { config: { httpCache: { maxAgeSec: -1, staleWhileRevalidateSec: 0 } } },
        async () => ({}),
      ),
    ).toThrow(/maxAgeSec/);
    await bare.close();
  });
});
