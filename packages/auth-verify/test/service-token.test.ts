// ServiceTokenSource against a real token endpoint: the request it sends, caching until
// shortly before expiry, one request for a burst of callers, and clear errors.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceTokenSource } from '../src/index.ts';
import { type HttpServer, startServer } from './helpers.ts';

let server: HttpServer;
let issued = 0;
let expiresIn = 300;
let lastBody: Record<string, unknown> = {};
let lastHeaders: Record<string, unknown> = {};

beforeAll(async () => {
  server = await startServer((req, res, body) => {
    lastBody = JSON.parse(body);
    lastHeaders = req.headers;
    if (req.url === '/fail') {
      res.writeHead(401, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ status: 401, code: 'invalid-client' }));
      return;
    }
    if (req.url === '/hang') return;
    if (req.url === '/bad') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token_type":"Bearer"}');
      return;
    }
    issued++;
    // A little latency, so concurrent callers really are waiting on the same request.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: `token-${issued}`,
          token_type: 'Bearer',
          expires_in: expiresIn,
        }),
      );
    }, 30);
  });
});

afterAll(async () => {
  await server.close();
});

const source = (
  path: string,
  extra: Partial<ConstructorParameters<typeof ServiceTokenSource>[0]> = {},
) =>
  new ServiceTokenSource({
    tokenUrl: `${server.url}${path}`,
    clientId: 'orders',
    clientSecret: 's3cret',
    ...extra,
  });

describe('ServiceTokenSource', () => {
  it('posts a client-credentials grant as JSON', async () => {
    expiresIn = 300;
    const token = await source('/token', { scope: 'catalog:read stock:reserve' }).getToken();
    expect(token).toMatch(/^token-\d+$/);
    expect(lastHeaders['content-type']).toBe('application/json');
    expect(lastBody).toEqual({
      grant_type: 'client_credentials',
      client_id: 'orders',
      client_secret: 's3cret',
      scope: 'catalog:read stock:reserve',
    });
  });

  it('gives 20 concurrent callers one request, then serves from the cache', async () => {
    expiresIn = 300;
    const tokens = source('/token');
    const before = server.hits;
    const got = await Promise.all(Array.from({ length: 20 }, () => tokens.getToken()));
    expect(server.hits - before).toBe(1);
    expect(new Set(got).size).toBe(1);
    expect(await tokens.getToken()).toBe(got[0]);
    expect(server.hits - before).toBe(1);
  });

  it('refetches once the token is within refreshSkewSec of expiry', async () => {
    // 1 s of life and no skew: cached for 1 s, then a new one.
    expiresIn = 1;
    const tokens = source('/token', { refreshSkewSec: 0 });
    const before = server.hits;
    const first = await tokens.getToken();
    expect(await tokens.getToken()).toBe(first);
    await sleep(1_050);
    const second = await tokens.getToken();
    expect(second).not.toBe(first);
    expect(server.hits - before).toBe(2);
  });

  it('with the default 30 s skew, a 31 s token is used for 1 s', async () => {
    expiresIn = 31;
    const tokens = source('/token');
    const first = await tokens.getToken();
    expect(await tokens.getToken()).toBe(first);
    await sleep(1_050);
    expect(await tokens.getToken()).not.toBe(first);
  });

  it('a token that lives less than the skew is used for half its life, not refetched per call', async () => {
    expiresIn = 2;
    const tokens = source('/token');
    const first = await tokens.getToken();
    expect(await tokens.getToken()).toBe(first);
    await sleep(1_050);
    expect(await tokens.getToken()).not.toBe(first);
  });

  it('fetches again after invalidate()', async () => {
    expiresIn = 300;
    const tokens = source('/token');
    const first = await tokens.getToken();
    tokens.invalidate();
    expect(await tokens.getToken()).not.toBe(first);
  });

  it('throws a clear error on a non-2xx answer, with the problem code, never the secret', async () => {
    const err = await source('/fail')
      .getToken()
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/HTTP 401 \(invalid-client\)/);
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('throws when the answer lacks access_token or expires_in', async () => {
    await expect(source('/bad').getToken()).rejects.toThrow(/lacks access_token/);
  });

  it('times out, and a failure is not cached', async () => {
    const tokens = source('/hang', { timeoutMs: 200 });
    const started = Date.now();
    await expect(tokens.getToken()).rejects.toThrow(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(1_500);
    const before = server.hits;
    await expect(tokens.getToken()).rejects.toThrow(/timed out/);
    expect(server.hits - before).toBe(1);
  });
});
