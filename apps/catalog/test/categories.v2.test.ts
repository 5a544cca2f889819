// Versioning: GET /v2/categories returns the tree nested, and its predecessor
// GET /v1/categories keeps its body but announces Deprecation, Sunset and its successor.
// Real cloned database; categories are created through the API, so each write also clears
// the category cache (a row inserted by SQL behind its back would not show until the TTL).
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogTestApp, createCatalogApp } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
const ORIGIN = 'https://shop.example';

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp({ CORS_ORIGINS: ORIGIN }));
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

async function insert(slug: string, name: string, parentId: string | null = null) {
  const token = await issuer.sign({ sub: 'staff-1', permissions: ['catalog:write'] });
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/categories',
    headers: { authorization: `Bearer ${token}` },
    payload: { slug, name, parentId },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

interface Node {
  id: string;
  slug: string;
  name: string;
  children: Node[];
}
const slugs = (nodes: Node[]): unknown =>
  nodes.map((n) => (n.children.length ? { [n.slug]: slugs(n.children) } : n.slug));

// Runs first, before any category exists (the file's database is its own clone).
describe('GET /v2/categories on an empty catalog', () => {
  it('returns an empty tree', async () => {
    const res = await t.app.inject({ url: '/v2/categories' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [] });
  });
});

describe('GET /v2/categories', () => {
  let ids: Record<string, string>;

  beforeAll(async () => {
    // Inserted out of name order, so the order in the tree comes from the query.
    const home = await insert('home', 'Home');
    const electronics = await insert('electronics', 'Electronics');
    const phones = await insert('phones', 'Phones', electronics);
    const laptops = await insert('laptops', 'Laptops', electronics);
    const ultrabooks = await insert('ultrabooks', 'Ultrabooks', laptops);
    const gaming = await insert('gaming-laptops', 'Gaming', laptops);
    const kitchen = await insert('kitchen', 'Kitchen', home);
    ids = { home, electronics, phones, laptops, ultrabooks, gaming, kitchen };
  });

  it('nests children and grandchildren, roots and siblings by name', async () => {
    const res = await t.app.inject({ url: '/v2/categories' });
    expect(res.statusCode).toBe(200);
    expect(slugs(res.json().items)).toEqual([
      { electronics: [{ laptops: ['gaming-laptops', 'ultrabooks'] }, 'phones'] },
      { home: ['kitchen'] },
    ]);
  });

  it('gives each node id, slug, name and children, nothing more (no parentId, no timestamps)', async () => {
    const [electronics] = (await t.app.inject({ url: '/v2/categories' })).json().items;
    const laptops = electronics.children[0];
    expect(laptops).toEqual({
      id: ids.laptops,
      slug: 'laptops',
      name: 'Laptops',
      children: [
        { id: ids.gaming, slug: 'gaming-laptops', name: 'Gaming', children: [] },
        { id: ids.ultrabooks, slug: 'ultrabooks', name: 'Ultrabooks', children: [] },
      ],
    });
  });

  it('carries no deprecation headers', async () => {
    const res = await t.app.inject({ url: '/v2/categories' });
    expect(res.headers.deprecation).toBeUndefined();
    expect(res.headers.sunset).toBeUndefined();
  });

  it('refuses a token that does not verify, like /v1', async () => {
    const token = await issuer.sign({ sub: 'c-1' }, { expiresIn: -60, issuedAt: -660 });
    const res = await t.app.inject({
      url: '/v2/categories',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid-token');
  });

  it('answers an unknown /v2 path with the kit 404 problem+json', async () => {
    const res = await t.app.inject({ url: '/v2/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({ status: 404 });
  });

  it('gets the API scope CORS treatment, its 404 included', async () => {
    for (const url of ['/v2/categories', '/v2/nope']) {
      const res = await t.app.inject({ url, headers: { origin: ORIGIN } });
      expect(res.headers['access-control-allow-origin'], url).toBe(ORIGIN);
    }
  });
});

describe('GET /v1/categories (deprecated)', () => {
  it('lets a browser on an allowed origin read the deprecation headers (CORS exposes them)', async () => {
    const res = await t.app.inject({ url: '/v1/categories', headers: { origin: ORIGIN } });
    const exposed = String(res.headers['access-control-expose-headers']).split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['deprecation', 'sunset', 'link', 'etag']));
  });

  it('announces Deprecation (RFC 9745), Sunset (RFC 8594) and its successor', async () => {
    const res = await t.app.inject({ url: '/v1/categories' });
    expect(res.statusCode).toBe(200);
    const deprecation = res.headers.deprecation as string;
    const sunset = res.headers.sunset as string;
    expect(deprecation).toMatch(/^@\d+$/);
    // An IMF-fixdate HTTP-date, which Date parses back to the same instant.
    expect(sunset).toMatch(/^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
    const sunsetAt = Date.parse(sunset);
    expect(new Date(sunsetAt).toUTCString()).toBe(sunset);
    expect(sunsetAt).toBe(Date.UTC(2027, 5, 30));
    expect(Number(deprecation.slice(1)) * 1000).toBeLessThan(sunsetAt);
    expect(res.headers.link).toBe('</v2/categories>; rel="successor-version"');
  });

  it('keeps its flat body: every category with parentId and createdAt, by name', async () => {
    const res = await t.app.inject({ url: '/v1/categories' });
    const items = res.json().items;
    expect(items.map((c: { slug: string }) => c.slug)).toEqual([
      'electronics',
      'gaming-laptops',
      'home',
      'kitchen',
      'laptops',
      'phones',
      'ultrabooks',
    ]);
    for (const c of items) {
      expect(Object.keys(c).sort()).toEqual(['createdAt', 'id', 'name', 'parentId', 'slug']);
    }
  });

  it('sends the headers on its errors too (a bad token is a 401)', async () => {
    const token = await issuer.sign({ sub: 'c-2' }, { expiresIn: -60, issuedAt: -660 });
    const res = await t.app.inject({
      url: '/v1/categories',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers.deprecation).toMatch(/^@\d+$/);
  });

  it('leaves the other /v1 category routes undeprecated', async () => {
    const res = await t.app.inject({ url: '/v1/categories/00000000-0000-4000-8000-000000000000' });
    expect(res.statusCode).toBe(404);
    expect(res.headers.deprecation).toBeUndefined();
  });
});

describe('OpenAPI', () => {
  it('marks GET /v1/categories deprecated, with its headers, and documents /v2/categories', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    const v1 = doc.paths['/v1/categories'].get;
    expect(v1.deprecated).toBe(true);
    expect(Object.keys(v1.responses['200'].headers).sort()).toEqual([
      'deprecation',
      'link',
      'sunset',
    ]);
    expect(doc.paths['/v1/categories'].post.deprecated).toBeUndefined();
    const v2 = doc.paths['/v2/categories'].get;
    expect(v2.deprecated).toBeUndefined();
    expect(v2.tags).toEqual(['categories v2']);
    expect(v2.responses['200'].content['application/json'].schema).toBeDefined();
  });
});
