// The problem+json handler in isolation: AppError mapping, field errors, masking of 5xx.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  AppError,
  conflict,
  fieldErrors,
  MAX_FIELD_ERRORS,
  notFound,
  problemDetails,
} from '../src/index.ts';

async function appThrowing(error: unknown) {
  const app = Fastify();
  await app.register(problemDetails);
  app.get('/thing', async () => {
    throw error;
  });
  return app;
}

describe('problem+json', () => {
  it('renders an AppError with its status, code, headers and extensions', async () => {
    const app = await appThrowing(
      new AppError({
        status: 409,
        code: 'stock-short',
        detail: 'Only 2 left.',
        extensions: { available: 2 },
        headers: { 'x-hint': 'reduce quantity' },
      }),
    );
    const res = await app.inject({ url: '/thing?x=1' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['x-hint']).toBe('reduce quantity');
    expect(res.json()).toEqual({
      type: 'urn:meridian:problem:stock-short',
      title: 'Conflict',
      status: 409,
      detail: 'Only 2 left.',
      instance: '/thing',
      code: 'stock-short',
      requestId: expect.any(String),
      available: 2,
    });
  });

  it('has helpers for the common cases', () => {
    expect(notFound('gone')).toMatchObject({ statusCode: 404, code: 'not-found', message: 'gone' });
    expect(conflict('taken', 'Email taken')).toMatchObject({ statusCode: 409, code: 'taken' });
  });

  it('masks anything that is not a client error', async () => {
    const app = await appThrowing(new Error('password=hunter2 in a stack trace'));
    const res = await app.inject({ url: '/thing' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(res.json().code).toBe('internal-error');
  });

  it('keeps code, detail and headers of a deliberate 5xx AppError (a 503 with Retry-After)', async () => {
    const app = await appThrowing(
      new AppError({
        status: 503,
        code: 'catalog-unavailable',
        detail: 'Catalog is not answering; nothing was reserved.',
        headers: { 'retry-after': '5' },
      }),
    );
    const res = await app.inject({ url: '/thing' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({
      code: 'catalog-unavailable',
      detail: 'Catalog is not answering; nothing was reserved.',
    });
  });

  it('treats a nonsense status code as a 500', async () => {
    const app = await appThrowing(Object.assign(new Error('weird'), { statusCode: 999 }));
    expect((await app.inject({ url: '/thing' })).statusCode).toBe(500);
  });

  it('keeps the detail of a 503 generic', async () => {
    const app = await appThrowing(
      Object.assign(new Error('redis at 10.0.0.3 down'), { statusCode: 503 }),
    );
    const res = await app.inject({ url: '/thing' });
    expect(res.json()).toMatchObject({ status: 503, code: 'service-unavailable' });
    expect(res.body).not.toContain('10.0.0.3');
  });
});

describe('fieldErrors', () => {
  it('caps the list, so a huge invalid body gets a bounded answer', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ instancePath: `/${i}`, message: 'bad' }));
    expect(fieldErrors(many, 'body')).toHaveLength(MAX_FIELD_ERRORS);
  });

  it('turns ajv errors into JSON Pointers, pointing at unknown and missing fields themselves', () => {
    expect(
      fieldErrors(
        [
          {
            instancePath: '/address',
            keyword: 'additionalProperties',
            params: { additionalProperty: 'zip' },
          },
          { instancePath: '', keyword: 'required', params: { missingProperty: 'email' } },
          { instancePath: '/age', keyword: 'minimum', message: 'must be >= 0', params: {} },
        ],
        'body',
      ),
    ).toEqual([
      { in: 'body', pointer: '/address/zip', detail: 'is not an allowed field' },
      { in: 'body', pointer: '/email', detail: 'is required' },
      { in: 'body', pointer: '/age', detail: 'must be >= 0' },
    ]);
  });
});

describe('database unavailable → 503, not 500', () => {
  const pgError = (code: string, message = 'pg says no') =>
    Object.assign(new Error(message), { code });
  it.each([
    ['a statement timeout (57014)', pgError('57014')],
    ['too many connections (53300)', pgError('53300')],
    ['the server shutting down (57P01)', pgError('57P01')],
    ['a connection failure (08006)', pgError('08006')],
    ['a deadlock (40P01)', pgError('40P01')],
    ["the pool's acquire timeout", new Error('timeout exceeded when trying to connect')],
    ['a connection dropped mid-query', new Error('Connection terminated unexpectedly')],
    [
      'drizzle wrapping the driver error',
      Object.assign(new Error('Failed query'), { cause: pgError('57014') }),
    ],
  ])('%s', async (_label, error) => {
    const app = await appThrowing(error);
    const res = await app.inject({ url: '/thing' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ code: 'service-unavailable', status: 503 });
    expect(res.body).not.toContain('pg says no');
  });

  it('other database errors stay a masked 500 (a constraint violation is a bug to fix)', async () => {
    const app = await appThrowing(pgError('23505', 'duplicate key value'));
    const res = await app.inject({ url: '/thing' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('duplicate key');
  });
});
