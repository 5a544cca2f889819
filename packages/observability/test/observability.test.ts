// Logger redaction, request ids, the access line and the HTTP histogram, on a bare Fastify.
import { Writable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  accessLog,
  genReqId,
  lazyChildLoggerFactory,
  loggerOptions,
  metrics,
  redactNested,
  requestId,
} from '../src/index.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, stream };
}

async function build() {
  const { lines, stream } = capture();
  const app = Fastify({
    logger: { ...loggerOptions({ level: 'info', service: 'svc' }), stream },
    genReqId,
    disableRequestLogging: true,
  });
  await app.register(requestId);
  await app.register(accessLog);
  await app.register(metrics, { service: 'svc' });
  app.post('/login', async (request) => {
    request.log.info({ body: request.body, headers: request.headers }, 'login attempt');
    return { ok: true };
  });
  app.get('/items/:id', async () => ({ ok: true }));
  return { app, lines };
}

describe('logs', () => {
  it('redact passwords, tokens, authorization headers and cookies', async () => {
    const { app, lines } = await build();
    await app.inject({
      method: 'POST',
      url: '/login',
      headers: { authorization: 'Bearer abc.def', cookie: 'sid=s3ss10n' },
      payload: { email: 'a@b.c', password: 'hunter2', refreshToken: 'rt-123' },
    });
    const text = JSON.stringify(lines);
    expect(text).toContain('a@b.c');
    for (const secret of ['hunter2', 'abc.def', 's3ss10n', 'rt-123'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('redact secret keys one level down in any field, without mutating the caller', async () => {
    const { lines, stream } = capture();
    const app = Fastify({
      logger: { ...loggerOptions({ level: 'info', service: 'svc' }), stream },
    });
    await app.ready();
    const client = { id: 'c-1', secret: 's3cret-client', accessToken: 'at-999' };
    const err = Object.assign(new Error('boom'), { token: 'tok-in-error' });
    app.log.child({ token: 'tok-bound' }).info({ client, err, n: 5 }, 'hello');
    const text = JSON.stringify(lines);
    for (const secret of ['s3cret-client', 'at-999', 'tok-in-error', 'tok-bound'])
      expect(text).not.toContain(secret);
    const line = lines.find((l) => l.msg === 'hello') as {
      client: unknown;
      err: { stack: string };
      n: number;
    };
    expect(line.client).toEqual({ id: 'c-1', secret: '[redacted]', accessToken: '[redacted]' });
    expect(line.err).toMatchObject({ type: 'Error', message: 'boom', token: '[redacted]' });
    expect(line.err.stack).toContain('boom');
    expect(line.n).toBe(5);
    // The objects logged are the caller's: censoring works on copies.
    expect(client.secret).toBe('s3cret-client');
    expect(err.token).toBe('tok-in-error');
    await app.close();
  });

  it('redactNested returns the very same object when nothing needs censoring', () => {
    const line = { method: 'GET', path: '/x', statusCode: 200, nested: { a: 1 } };
    expect(redactNested(line)).toBe(line);
  });

  it('write one access line per request, with route template, status and duration, no query', async () => {
    const { app, lines } = await build();
    await app.inject({ url: '/items/42?token=secret', headers: { 'x-request-id': 'abc-1' } });
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 'info',
      service: 'svc',
      reqId: 'abc-1',
      method: 'GET',
      path: '/items/42',
      route: '/items/:id',
      statusCode: 200,
      durationMs: expect.any(Number),
    });
    expect(JSON.stringify(access)).not.toContain('secret');
  });
});

describe('request ids', () => {
  it('keeps a safe incoming id and replaces anything else', () => {
    expect(genReqId({ headers: { 'x-request-id': 'trace-42' } })).toBe('trace-42');
    expect(genReqId({ headers: { 'x-request-id': 'x'.repeat(200) } })).toHaveLength(36);
    expect(genReqId({ headers: { 'x-request-id': ['a', 'b'] } })).toHaveLength(36);
    expect(genReqId({ headers: {} })).not.toBe(genReqId({ headers: {} }));
  });
});

describe('metrics', () => {
  it('label the histogram with the route template; unmatched URLs share one label', async () => {
    const { app } = await build();
    for (const id of ['1', '2', '3']) await app.inject({ url: `/items/${id}` });
    await app.inject({ url: '/random/junk/1' });
    await app.inject({ url: '/random/junk/2' });
    const body = (await app.inject({ url: '/metrics' })).body;
    expect(body).toContain(
      'http_request_duration_seconds_count{service="svc",method="GET",route="/items/:id",status_code="200"} 3',
    );
    expect(body).toContain(
      'http_request_duration_seconds_count{service="svc",method="GET",route="unmatched",status_code="404"} 2',
    );
    expect(body).not.toMatch(/route="\/items\/1"/);
  });

  it('keep one registry per app, so two apps in one process do not collide', async () => {
    const a = await build();
    const b = await build();
    await a.app.inject({ url: '/items/1' });
    const fromB = (await b.app.inject({ url: '/metrics' })).body;
    expect(fromB).not.toContain('route="/items/:id"');
  });
});

describe('request loggers', () => {
  it('are only built when a request logs something, and then carry the request id', async () => {
    const { lines, stream } = capture();
    const app = Fastify({
      logger: { ...loggerOptions({ level: 'info', service: 'svc' }), stream },
      childLoggerFactory: lazyChildLoggerFactory,
      genReqId,
      logController: new LogController({ disableRequestLogging: true }),
    });
    let quietLogger: unknown;
    app.get('/quiet', async (request) => {
      quietLogger = request.log;
      return { ok: true };
    });
    app.get('/chatty', async (request) => {
      request.log.info({ step: 1 }, 'working');
      return { ok: true };
    });
    await app.inject({ url: '/quiet', headers: { 'x-request-id': 'q-1' } });
    expect((quietLogger as { materialized: boolean }).materialized).toBe(false);
    await app.inject({ url: '/chatty', headers: { 'x-request-id': 'c-1' } });
    const working = lines.find((l) => l.msg === 'working');
    expect(working).toMatchObject({ step: 1, service: 'svc' });
    expect(working?.reqId).toBe('c-1');
  });
});
