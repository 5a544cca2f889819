// Security of /graphql: a client chooses how much work a query is, so depth and cost are
// bounded and refused with 400 before anything runs; no query shape or size gets a 5xx;
// internal errors are masked; GraphiQL and introspection are off unless GRAPHQL_IDE.
import type { TestIssuer } from '@meridian/testing';
import { getIntrospectionQuery } from 'graphql/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_COST, MAX_DEPTH } from '../src/graphql/limits.ts';
import { addCategory, addProducts, gql } from './graphql.helpers.ts';
import { type CatalogTestApp, createCatalogApp, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };

const PRODUCT = `id sku name description priceMinor currency attributes status createdAt updatedAt
  category { id slug name } stock { onHand reserved available updatedAt }`;

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp({ RATE_LIMIT_MAX: '100000' }));
  writer = await staffHeaders(issuer);
  await addProducts(t, 'lim', 3, [await addCategory(t, 'limits')]);
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

/** `categories { children { children { … name } } }`, `levels` fields deep. */
const nested = (levels: number) =>
  `{ categories { ${'children { '.repeat(levels - 2)}name${' }'.repeat(levels - 2)} } }`;

describe('depth', () => {
  it(`allows ${MAX_DEPTH} levels`, async () => {
    const res = await gql(t, nested(MAX_DEPTH));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it(`refuses ${MAX_DEPTH + 1} levels with 400 query-too-deep, also through fragments`, async () => {
    // Twice: the second answer comes from mercurius's cache of refused documents.
    await gql(t, nested(MAX_DEPTH + 1));
    const res = await gql(t, nested(MAX_DEPTH + 1));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        {
          message: `The query nests fields ${MAX_DEPTH + 1} levels deep; at most ${MAX_DEPTH} are allowed.`,
          locations: [{ line: 1, column: 1 }],
          extensions: {
            code: 'query-too-deep',
            status: 400,
            depth: MAX_DEPTH + 1,
            maxDepth: MAX_DEPTH,
          },
        },
      ],
    });
    const viaFragments = await gql(
      t,
      `{ categories { ...A } }
       fragment A on Category { children { ...B } }
       fragment B on Category { children { children { children { ...C } } } }
       fragment C on Category { children { children { children { name } } } }`,
    );
    expect(viaFragments.status).toBe(400);
    expect(viaFragments.body.errors?.[0]?.extensions?.code).toBe('query-too-deep');
  });
});

describe('cost', () => {
  it('allows a full page of 100 products with every field, category and stock', async () => {
    const res = await gql(t, `{ products(first: 100) { nodes { ${PRODUCT} } } }`, {
      headers: writer,
    });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('refuses three aliased full pages with 400 query-too-complex, before any SQL', async () => {
    const page = `products(first: 100) { nodes { ${PRODUCT} } }`;
    const res = await gql(t, `{ a: ${page} b: ${page} c: ${page} }`, { headers: writer });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    const error = res.body.errors?.[0];
    expect(error?.extensions).toMatchObject({
      code: 'query-too-complex',
      status: 400,
      maxCost: MAX_COST,
    });
    expect(error?.extensions?.cost).toBeGreaterThan(MAX_COST);
    expect(error?.message).toMatch(/^The query costs \d+; at most 5000 is allowed\./);
  });

  it('counts `first` from variables: the same query is refused with 100, allowed with 5', async () => {
    const query = `query($n: Int) { a: products(first: $n) { nodes { ${PRODUCT} } } b: products(first: $n) { nodes { ${PRODUCT} } } c: products(first: $n) { nodes { ${PRODUCT} } } }`;
    const big = await gql(t, query, { variables: { n: 100 }, headers: writer });
    expect(big.status).toBe(400);
    expect(big.body.errors?.[0]?.extensions?.code).toBe('query-too-complex');
    const small = await gql(t, query, { variables: { n: 5 }, headers: writer });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });
});

describe('internal errors', () => {
  it('are masked: a generic message, code internal-error, the rest of the data intact', async () => {
    // A real failure inside the stock read: its table is gone (in this file's own database).
    await t.app.pg.query('ALTER TABLE catalog.inventory RENAME TO inventory_away');
    try {
      const res = await gql(t, '{ products(first: 2) { nodes { sku stock { onHand } } } }', {
        headers: writer,
      });
      expect(res.status).toBe(200);
      expect(res.body.data?.products).toEqual({
        nodes: [
          { sku: 'LIM-3', stock: null },
          { sku: 'LIM-2', stock: null },
        ],
      });
      expect(res.body.errors?.[0]).toEqual({
        message: 'An unexpected error occurred. Quote the request id when reporting it.',
        locations: [{ line: 1, column: 36 }],
        path: ['products', 'nodes', 0, 'stock'],
        extensions: { code: 'internal-error', status: 500 },
      });
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/inventory|relation|select|stack/i);
    } finally {
      await t.app.pg.query('ALTER TABLE catalog.inventory_away RENAME TO inventory');
    }
  });
});

describe('hostile requests', () => {
  const aliases = (n: number, field: string) =>
    `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

  const cases: [string, Record<string, unknown>][] = [
    [
      'a 900 KB query string',
      { payload: { query: `{ ${'products { nodes { id } } '.repeat(34_000)} }` } },
    ],
    [
      'braces nested 5,000 deep',
      { payload: { query: `${'{ a '.repeat(5_000)}${'}'.repeat(5_000)}` } },
    ],
    ['__typename aliased 1,000 times', { payload: { query: aliases(1_000, '__typename') } }],
    [
      'a product page aliased 300 times',
      { payload: { query: aliases(300, 'products { nodes { id } }') } },
    ],
    ['an unknown field', { payload: { query: '{ products { nodes { password } } }' } }],
    ['a syntax error', { payload: { query: '{ products { nodes { id }' } }],
    ['no query', { payload: {} }],
    ['a query that is not a string', { payload: { query: 42 } }],
    [
      'a JSON AST instead of GraphQL',
      { payload: { query: '{"kind":"Document","definitions":[{"kind":"Nope"}]}' } },
    ],
    [
      'a JSON AST with a bad selection',
      {
        payload: {
          query:
            '{"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","selectionSet":null}]}',
        },
      },
    ],
    [
      'variables of the wrong type',
      {
        payload: {
          query: 'query($n: Int) { products(first: $n) { nodes { id } } }',
          variables: { n: 'many' },
        },
      },
    ],
    [
      'variables that are not an object',
      { payload: { query: '{ categories { id } }', variables: 'x' } },
    ],
    [
      'a missing required variable',
      { payload: { query: 'query($id: ID!) { product(id: $id) { id } }' } },
    ],
    [
      'an Int over 32 bits',
      { payload: { query: '{ products(first: 99999999999) { nodes { id } } }' } },
    ],
    [
      'an unknown operationName',
      { payload: { query: 'query A { categories { id } }', operationName: 'B' } },
    ],
    [
      'two anonymous operations',
      { payload: { query: '{ categories { id } } { categories { id } }' } },
    ],
    ['a mutation', { payload: { query: 'mutation { deleteEverything }' } }],
    ['a subscription', { payload: { query: 'subscription { products { id } }' } }],
    ['introspection (GRAPHQL_IDE off)', { payload: { query: '{ __schema { types { name } } }' } }],
    ['a batch (an array body)', { payload: [{ query: '{ categories { id } }' }] }],
    [
      'a fragment cycle',
      {
        payload: {
          query:
            '{ categories { ...A } } fragment A on Category { children { ...B } } fragment B on Category { children { ...A } }',
        },
      },
    ],
    [
      'a fragment bomb',
      {
        payload: {
          query: `{ categories { ...F0 } } ${Array.from({ length: 30 }, (_, i) => `fragment F${i} on Category { name ${i < 29 ? `a: children { ...F${i + 1} } b: children { ...F${i + 1} }` : ''} }`).join(' ')}`,
        },
      },
    ],
    ['GET with a mutation', { method: 'GET', url: '/graphql?query=mutation%20%7B%20x%20%7D' }],
    [
      'GET with variables that are not JSON',
      {
        method: 'GET',
        url: '/graphql?query=%7B%20categories%20%7B%20id%20%7D%20%7D&variables=%7Bnope',
      },
    ],
    ['malformed JSON', { headers: { 'content-type': 'application/json' }, payload: '{"query": ' }],
    [
      'a text/plain body',
      { headers: { 'content-type': 'text/plain' }, payload: '{ categories { id } }' },
    ],
    [
      'a body over the limit (2 MB)',
      { payload: { query: `{ categories { id } } #${'x'.repeat(2_000_000)}` } },
    ],
  ];

  it.each(cases)('%s: a 4xx with a reason, never a 5xx', async (_name, request) => {
    const res = await t.app.inject({ method: 'POST', url: '/graphql', ...request });
    expect(res.statusCode, res.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
    const body = res.json();
    const reason = body.errors?.[0]?.message ?? body.detail;
    expect(typeof reason).toBe('string');
    expect(res.body).not.toMatch(/"stack"|at .*\.js:\d+/);
  });

  it('answers GraphQL refusals as GraphQL, HTTP refusals as problem+json', async () => {
    const graphql = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      payload: { query: '{ nope }' },
    });
    expect(graphql.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(graphql.json()).toEqual({
      errors: [
        {
          message: 'Cannot query field "nope" on type "Query".',
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'graphql-validation-failed', status: 400 },
        },
      ],
    });
    const http = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/xml' },
      payload: '<query/>',
    });
    expect(http.statusCode).toBe(415);
    expect(http.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  });
});

describe('GraphiQL, introspection and OpenAPI', () => {
  it('serve no GraphiQL by default, and keep the strict CSP on /graphql', async () => {
    expect((await t.app.inject({ url: '/graphiql' })).statusCode).toBe(404);
    const res = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      payload: { query: '{ categories { id } }' },
    });
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
  });

  it('document POST /graphql under the graphql tag, with the optional bearer token', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    const post = doc.paths['/graphql'].post;
    expect(post.tags).toEqual(['graphql']);
    expect(post.security).toEqual([{}, { bearerAuth: [] }]);
    expect(Object.keys(post.responses)).toEqual(['200', '400', '401', '413', '415', '429']);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/graphiql'))).toEqual([]);
  });

  it('with GRAPHQL_IDE, serve GraphiQL under its own CSP and answer its introspection', async () => {
    const dev = await createCatalogApp({ GRAPHQL_IDE: 'true' });
    try {
      const page = await dev.t.app.inject({ url: '/graphiql' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toMatch(
        /script-src 'self' https:\/\/unpkg\.com/,
      );
      const api = await dev.t.app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: getIntrospectionQuery() },
      });
      expect(api.statusCode).toBe(200);
      expect(api.json().data.__schema.queryType).toMatchObject({ name: 'Query' });
      expect(api.headers['content-security-policy']).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      // Exempt from the limits only as a whole introspection: data fields still count.
      expect((await gql(dev.t, nested(MAX_DEPTH + 1))).status).toBe(400);
    } finally {
      await dev.t.close();
      await dev.issuer.close();
    }
  });

  it('a database outage is a 503 service-unavailable, as in REST, never internal-error', async () => {
    // A real one: the list's query waits on a lock, and its backend is then terminated the
    // way a failover or a restart does (SQLSTATE 57P01).
    const locker = await t.app.pg.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE catalog.products IN ACCESS EXCLUSIVE MODE');
      const pending = gql(t, '{ products(first: 2) { nodes { sku } } }');
      let killed = false;
      for (let i = 0; i < 100 && !killed; i++) {
        const { rows } = await locker.query<{ killed: boolean }>(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND pid <> pg_backend_pid()`,
        );
        killed = rows.some((r) => r.killed);
        if (!killed) await new Promise((r) => setTimeout(r, 20));
      }
      expect(killed).toBe(true);
      const res = await pending;
      expect(res.status).toBe(503);
      expect(res.body.errors?.[0]).toMatchObject({
        message: 'The service is temporarily unavailable; retry shortly.',
        extensions: { code: 'service-unavailable', status: 503 },
      });
      expect(JSON.stringify(res.body)).not.toMatch(/terminat|administrator|select/i);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
  });
});
