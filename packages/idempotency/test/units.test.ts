// The pure parts: what the fingerprint covers, the header grammar, option checks.
import { AppError } from '@meridian/errors';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  type FingerprintInput,
  idempotency,
  parseIdempotencyKey,
  requestFingerprint,
} from '../src/index.ts';
import { idempotencyKeys } from './fixtures/schema.ts';

const base: FingerprintInput = {
  method: 'POST',
  route: '/v1/orders',
  params: {},
  query: {},
  body: { lines: [{ sku: 'a', qty: 1 }], note: 'x' },
};

describe('requestFingerprint', () => {
  it('is hex SHA-256, and ignores object key order at every depth', () => {
    const fp = requestFingerprint(base);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(
      requestFingerprint({ ...base, body: { note: 'x', lines: [{ qty: 1, sku: 'a' }] } }),
    ).toBe(fp);
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it.each<[string, Partial<FingerprintInput>]>([
    ['method', { method: 'PUT' }],
    ['route pattern', { route: '/v1/payments' }],
    ['path params', { params: { id: '2' } }],
    ['query', { query: { dryRun: 'true' } }],
    ['body value', { body: { lines: [{ sku: 'a', qty: 2 }], note: 'x' } }],
    ['array order', { body: { lines: [], note: 'x' } }],
    ['body kind (text vs JSON)', { body: '{"lines":[{"qty":1,"sku":"a"}],"note":"x"}' }],
  ])('changes with the %s', (_what, change) => {
    expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base));
  });
});

describe('parseIdempotencyKey', () => {
  it('returns null without the header, the key with it, and unquotes the structured-field form', () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey('abc-123')).toBe('abc-123');
    expect(parseIdempotencyKey('"abc-123"')).toBe('abc-123');
    expect(parseIdempotencyKey('"a\\"b\\\\c"')).toBe('a"b\\c');
  });

  it.each(['', '""', ' ', 'x'.repeat(256), 'ключ', 'a\u0000b', '"a\\b"', '"a"b"'])(
    'refuses %j with a 400 AppError',
    (value) => {
      const err = (() => {
        try {
          parseIdempotencyKey(value);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ statusCode: 400, code: 'idempotency-key-invalid' });
    },
  );
});

describe('idempotency options', () => {
  it('refuses a window no longer than the lease', () => {
    // biome-ignore lint/suspicious/noExplicitAny: no database is touched before the check
    const db = {} as any;
    expect(() =>
      idempotency({ db, table: idempotencyKeys, windowMs: 10_000, leaseMs: 10_000 }),
    ).toThrow(RangeError);
    expect(() => idempotency({ db, table: idempotencyKeys, leaseMs: 0 })).toThrow(RangeError);
  });
});
