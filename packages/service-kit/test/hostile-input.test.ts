// No request can make a service answer 5xx by its shape or size. A table of hostile and
// malformed requests against the kit's fixture; each must get a 4xx problem+json (or a
// plain success where the input is merely odd) and never reach a 5xx.
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceInstance } from '../src/index.ts';
import { buildFixture, fixtureConfig } from './fixtures/fixture-app.ts';

let app: ServiceInstance;
beforeAll(async () => {
  app = await buildFixture(fixtureConfig({ RATE_LIMIT_MAX: '100000' }));
  await app.ready();
});
afterAll(() => app.close());

const json = { 'content-type': 'application/json' };
const deepArray = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
const deepObject = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;

const cases: Array<[string, InjectOptions]> = [
  [
    'a JSON array where an object belongs',
    { method: 'POST', url: '/v1/widgets', headers: json, payload: '[]' },
  ],
  ['JSON null', { method: 'POST', url: '/v1/widgets', headers: json, payload: 'null' }],
  [
    'a bare JSON string',
    { method: 'POST', url: '/v1/widgets', headers: json, payload: '"widget"' },
  ],
  [
    'an operator object in a string field',
    { method: 'POST', url: '/v1/widgets', headers: json, payload: '{"name":{"$gt":""},"size":1}' },
  ],
  [
    'a __proto__ key (prototype pollution)',
    {
      method: 'POST',
      url: '/v1/widgets',
      headers: json,
      payload: '{"name":"x","size":1,"__proto__":{"admin":true}}',
    },
  ],
  [
    'a constructor.prototype key',
    {
      method: 'POST',
      url: '/v1/widgets',
      headers: json,
      payload: '{"name":"x","size":1,"constructor":{"prototype":{"admin":true}}}',
    },
  ],
  [
    '50,000 nested arrays',
    { method: 'POST', url: '/v1/widgets', headers: json, payload: deepArray },
  ],
  [
    '20,000 nested objects',
    { method: 'POST', url: '/v1/widgets', headers: json, payload: deepObject },
  ],
  [
    'a number too large for an integer field',
    { method: 'POST', url: '/v1/widgets', headers: json, payload: '{"name":"x","size":1e400}' },
  ],
  [
    'an empty body declared as JSON',
    { method: 'POST', url: '/v1/widgets', headers: json, payload: '' },
  ],
  [
    'invalid UTF-8 bytes',
    {
      method: 'POST',
      url: '/v1/widgets',
      headers: json,
      payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    },
  ],
  [
    'a charset Fastify does not parse',
    {
      method: 'POST',
      url: '/v1/widgets',
      headers: { 'content-type': 'application/json; charset=utf-16' },
      payload: '{}',
    },
  ],
  ['no content type at all', { method: 'POST', url: '/v1/widgets', payload: 'name=x' }],
  ['a 5,000-character path parameter', { url: `/v1/widgets/${'9'.repeat(5_000)}` }],
  ['a path parameter that overflows an integer', { url: `/v1/widgets/${'9'.repeat(100)}` }],
  [
    'a query string with 2,000 parameters',
    { url: `/v1/slow?${Array.from({ length: 2_000 }, (_, i) => `p${i}=1`).join('&')}` },
  ],
  ['a repeated query parameter where one value belongs', { url: '/v1/slow?ms=1&ms=2' }],
  ['a negative number in the query', { url: '/v1/slow?ms=-5' }],
  ['percent-encoding that decodes to nothing valid', { url: '/v1/widgets/%E0%A4%A' }],
  [
    'a 10,000-character request id',
    { url: '/health/live', headers: { 'x-request-id': 'x'.repeat(10_000) } },
  ],
  ['an unknown method on a known path', { method: 'DELETE', url: '/v1/widgets' }],
];

describe('hostile and malformed input', () => {
  it.each(cases)('%s → a 4xx problem or a plain success, never a 5xx', async (_name, request) => {
    const res = await app.inject(request);
    expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
    if (res.statusCode >= 400) {
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.json().requestId).toBe(res.headers['x-request-id']);
    }
  });

  it('never lets a __proto__ key reach an object prototype', async () => {
    await app.inject(cases[4]?.[1] as InjectOptions);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
