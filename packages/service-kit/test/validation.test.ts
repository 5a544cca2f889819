// The kit's validator refuses values a schema would pass but Postgres cannot store, so they
// are a 400 naming the field instead of a 500 from the driver.
import { describe, expect, it } from 'vitest';
import { createValidatorCompiler } from '../src/validation.ts';
import { buildFixture, fixtureConfig } from './fixtures/fixture-app.ts';

const compile = createValidatorCompiler();
const check = (schema: object, httpPart: string, data: unknown) =>
  (compile as unknown as (o: object) => (d: unknown) => { error?: { validation: unknown[] } })({
    schema,
    httpPart,
    method: 'POST',
    url: '/x',
  })(data);

describe('values Postgres cannot store', () => {
  it('a uuid is the plain 8-4-4-4-12 form only, not urn:uuid:', () => {
    const schema = { type: 'string', format: 'uuid' };
    expect(check(schema, 'params', '4b0e4c1e-0b7c-4a5e-9d43-1c9f1b1f2a3b').error).toBeUndefined();
    expect(
      check(schema, 'params', 'urn:uuid:4b0e4c1e-0b7c-4a5e-9d43-1c9f1b1f2a3b').error,
    ).toBeDefined();
  });

  it('U+0000 anywhere in a string, however deep, is refused with its pointer', () => {
    const schema = { type: 'object' };
    const res = check(schema, 'body', { a: { 'b/c': ['ok', 'bad\u0000'] } });
    expect(res.error?.validation).toEqual([
      expect.objectContaining({ instancePath: '/a/b~1c/1', message: 'must not contain U+0000' }),
    ]);
  });

  it('a number JSON.parse made infinite is refused', () => {
    const res = check({ type: 'object' }, 'body', JSON.parse('{"n":1e400}'));
    expect(res.error?.validation).toEqual([
      expect.objectContaining({ instancePath: '/n', message: 'must be a finite number' }),
    ]);
  });

  it('over HTTP: a NUL in a body field is a 400 naming the field', async () => {
    const app = await buildFixture(fixtureConfig());
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/widgets',
        headers: { 'content-type': 'application/json' },
        payload: '{"name":"a\\u0000b","size":3}',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([
        { in: 'body', pointer: '/name', detail: 'must not contain U+0000' },
      ]);
    } finally {
      await app.close();
    }
  });
});
