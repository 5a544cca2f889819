// Changing and deleting categories: PATCH (rename, re-slug, move a subtree, make a root) and
// DELETE under /v1/categories/:id, every refusal as problem+json, who may call them, and the
// tree lock: concurrent moves that together would make a cycle never both succeed. Real
// cloned database and Redis; reads and creates are in categories.test.ts.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CATEGORY_DEPTH } from '../src/modules/categories/categories.repository.ts';
import { type CatalogTestApp, createCatalogApp, customerHeaders, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };
let customer: { authorization: string };

const PROBLEM = 'application/problem+json; charset=utf-8';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
  writer = await staffHeaders(issuer);
  customer = await customerHeaders(issuer);
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

let seq = 0;
/** A category through the API; slugs are unique per call. */
async function create(name: string, parentId: string | null = null): Promise<string> {
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${++seq}`;
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/categories',
    headers: writer,
    payload: { name, slug, parentId },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const patch = (id: string, payload: unknown, headers: Record<string, string> = writer) =>
  t.app.inject({
    method: 'PATCH',
    url: `/v1/categories/${id}`,
    headers,
    payload: payload as object,
  });

const remove = (id: string, headers: Record<string, string> = writer) =>
  t.app.inject({ method: 'DELETE', url: `/v1/categories/${id}`, headers });

async function row(id: string): Promise<{ parent_id: string | null; slug: string; name: string }> {
  const { rows } = await t.app.pg.query(
    'SELECT parent_id, slug, name FROM catalog.categories WHERE id = $1',
    [id],
  );
  return rows[0];
}

const breadcrumb = async (id: string): Promise<string[]> =>
  (await t.app.inject({ url: `/v1/categories/${id}/breadcrumb` }))
    .json()
    .items.map((c: { id: string }) => c.id);

/** Every category reaches a root by parent_id: in a forest that means no cycle anywhere. */
async function assertNoCycle(): Promise<void> {
  const { rows } = await t.app.pg.query<{ reachable: number; total: number }>(`
    WITH RECURSIVE reach AS (
      SELECT id FROM catalog.categories WHERE parent_id IS NULL
      UNION
      SELECT c.id FROM catalog.categories c JOIN reach r ON c.parent_id = r.id
    )
    SELECT (SELECT count(*) FROM reach)::int AS reachable,
           (SELECT count(*) FROM catalog.categories)::int AS total`);
  expect(rows[0]?.reachable).toBe(rows[0]?.total);
}

/** A chain of `length` categories, each under the previous; returns their ids, root first. */
async function chain(name: string, length: number, under: string | null = null) {
  const ids: string[] = [];
  let parent = under;
  for (let i = 0; i < length; i++) {
    parent = await create(`${name} ${i}`, parent);
    ids.push(parent);
  }
  return ids;
}

let productSeq = 0;
async function addProduct(categoryId: string, deleted = false): Promise<void> {
  await t.app.pg.query(
    `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status, deleted_at)
     VALUES ($1, 'Thing', 100, 'EUR', $2, 'active', $3)`,
    [`CATW-${++productSeq}`, categoryId, deleted ? new Date() : null],
  );
}

describe('PATCH /v1/categories/:id', () => {
  it('renames and re-slugs: 200 with the category, and it reads back', async () => {
    const id = await create('Cams');
    const res = await patch(id, { name: 'Cameras', slug: 'cameras-renamed' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      id,
      parentId: null,
      slug: 'cameras-renamed',
      name: 'Cameras',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await t.app.inject({ url: `/v1/categories/${id}` })).json()).toEqual(res.json());
  });

  it('moves a category with its whole subtree under another parent', async () => {
    const [from, mid, leaf] = (await chain('Move src', 3)) as [string, string, string];
    const to = await create('Move dst');
    const res = await patch(mid, { parentId: to });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().parentId).toBe(to);
    // The leaf came along: its path now runs through the new parent.
    expect(await breadcrumb(leaf)).toEqual([to, mid, leaf]);
    expect(await breadcrumb(from)).toEqual([from]);
    await assertNoCycle();
  });

  it('makes a category a root with parentId: null, subtree and all', async () => {
    const [, mid, leaf] = (await chain('Root me', 3)) as [string, string, string];
    const res = await patch(mid, { parentId: null });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().parentId).toBeNull();
    expect(await breadcrumb(leaf)).toEqual([mid, leaf]);
  });

  it('accepts the current parent again (a move to where it is changes nothing)', async () => {
    const [root, child] = (await chain('Same', 2)) as [string, string];
    const res = await patch(child, { parentId: root });
    expect(res.statusCode, res.body).toBe(200);
    expect((await row(child)).parent_id).toBe(root);
  });

  it('when the parent does not exist, returns 422 unknown-parent naming parentId', async () => {
    const id = await create('Orphan to be');
    const res = await patch(id, { parentId: UNKNOWN });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({
      status: 422,
      code: 'unknown-parent',
      errors: [{ in: 'body', pointer: '/parentId', detail: 'does not exist' }],
    });
    expect((await row(id)).parent_id).toBeNull();
  });

  it('refuses to make a category its own parent: 422 category-cycle', async () => {
    const id = await create('Narcissus');
    const res = await patch(id, { parentId: id });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'category-cycle',
      detail: `Category ${id} cannot be its own parent.`,
      errors: [{ in: 'body', pointer: '/parentId' }],
    });
    expect((await row(id)).parent_id).toBeNull();
  });

  it.each([
    ['its child', 1],
    ['its grandchild', 2],
    ['a descendant four levels down', 4],
  ])('refuses to move a category under %s: 422 category-cycle, tree unchanged', async (_c, n) => {
    const ids = await chain('Cyc', n + 1);
    const top = ids[0] as string;
    const below = ids[n] as string;
    const res = await patch(top, { parentId: below, name: 'Renamed too' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'category-cycle',
      errors: [{ in: 'body', pointer: '/parentId' }],
    });
    // Nothing of the patch applied, the name included.
    expect(await row(top)).toMatchObject({ parent_id: null, name: 'Cyc 0' });
    await assertNoCycle();
  });

  describe(`depth (at most ${MAX_CATEGORY_DEPTH} levels below a root)`, () => {
    let deep: string[];

    beforeAll(async () => {
      // Depths 0 … MAX - 1: the last one can take one leaf, no more.
      deep = await chain('Deep', MAX_CATEGORY_DEPTH);
    });

    it('moves a leaf to the deepest allowed level', async () => {
      const leaf = await create('Leaf');
      const res = await patch(leaf, { parentId: deep.at(-1) });
      expect(res.statusCode, res.body).toBe(200);
      expect((await breadcrumb(leaf)).length).toBe(MAX_CATEGORY_DEPTH + 1);
      await patch(leaf, { parentId: null });
    });

    it('refuses a move whose subtree would end deeper: 422 category-too-deep', async () => {
      const [top] = (await chain('Two levels', 2)) as [string];
      // Under depth MAX - 2: top at MAX - 1, its child at MAX. Fine.
      expect((await patch(top, { parentId: deep.at(-2) })).statusCode).toBe(200);
      // One deeper: the child would be at MAX + 1.
      const res = await patch(top, { parentId: deep.at(-1) });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({
        code: 'category-too-deep',
        errors: [{ in: 'body', pointer: '/parentId' }],
      });
      expect((await row(top)).parent_id).toBe(deep.at(-2));
    });

    it('refuses to create a category below the deepest level: 422 category-too-deep', async () => {
      const leaf = await create('Bottom', deep.at(-1));
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/categories',
        headers: writer,
        payload: { name: 'Too deep', slug: 'too-deep', parentId: leaf },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({
        code: 'category-too-deep',
        errors: [{ in: 'body', pointer: '/parentId' }],
      });
      const { rows } = await t.app.pg.query(
        "SELECT 1 FROM catalog.categories WHERE slug = 'too-deep'",
      );
      expect(rows).toHaveLength(0);
    });
  });

  it('when the slug is taken, returns 409 slug-taken and changes nothing', async () => {
    const a = await create('Slug A');
    const b = await create('Slug B');
    const taken = (await row(a)).slug;
    const res = await patch(b, { slug: taken, name: 'Not applied' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({ status: 409, code: 'slug-taken' });
    expect((await row(b)).name).toBe('Slug B');
  });

  it('when the id is unknown, returns 404 (a move too)', async () => {
    const parent = await create('Some parent');
    for (const body of [{ name: 'Ghost' }, { parentId: parent }, { parentId: null }]) {
      const res = await patch(UNKNOWN, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(404);
      expect(res.json()).toMatchObject({ status: 404, code: 'not-found' });
    }
  });

  it.each([
    ['an empty patch', {}, ''],
    ['an unknown field', { featured: true }, '/featured'],
    ['a slug that is not kebab-case', { slug: 'Big Deals' }, '/slug'],
    ['an empty name', { name: '' }, '/name'],
    ['a parentId that is not a uuid', { parentId: '1' }, '/parentId'],
  ])('refuses %s with 400 validation-failed', async (_case, body, pointer) => {
    const id = await create('Valid');
    const res = await patch(id, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    expect(res.json().errors).toContainEqual(expect.objectContaining({ in: 'body', pointer }));
    expect((await row(id)).name).toBe('Valid');
  });

  it('when the id is not a uuid, returns 400', async () => {
    const res = await patch('not-a-uuid', { name: 'X' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'params', pointer: '/id' });
  });
});

describe('DELETE /v1/categories/:id', () => {
  it('deletes an empty category: 204, then 404, and gone from the list and tree', async () => {
    const parent = await create('Del parent');
    const leaf = await create('Del leaf', parent);
    const res = await remove(leaf);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await t.app.inject({ url: `/v1/categories/${leaf}` })).statusCode).toBe(404);
    const list = (await t.app.inject({ url: '/v1/categories' })).json().items;
    expect(list.map((c: { id: string }) => c.id)).not.toContain(leaf);
    expect(JSON.stringify((await t.app.inject({ url: '/v2/categories' })).json())).not.toContain(
      leaf,
    );
    // Its parent is now empty, so it can go too.
    expect((await remove(parent)).statusCode).toBe(204);
  });

  it('refuses a category with subcategories: 409 category-has-children', async () => {
    const [parent] = (await chain('Has kids', 2)) as [string];
    const res = await remove(parent);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({
      code: 'category-has-children',
      detail: `Category ${parent} has 1 subcategory; move or delete them first.`,
      children: 1,
    });
    expect(await row(parent)).toBeDefined();
  });

  it('refuses a category holding products: 409 category-has-products', async () => {
    const id = await create('Has products');
    await addProduct(id);
    await addProduct(id);
    const res = await remove(id);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'category-has-products',
      products: 2,
      deletedProducts: 0,
    });
    expect(res.json().detail).toMatch(/holds 2 product/);
    expect(await row(id)).toBeDefined();
  });

  it('counts soft-deleted products too: they keep their category', async () => {
    const id = await create('Only deleted products');
    await addProduct(id, true);
    const res = await remove(id);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'category-has-products',
      products: 0,
      deletedProducts: 1,
    });
    expect(res.json().detail).toMatch(/1 of them deleted/);
  });

  it('when the id is unknown, returns 404; deleting twice, 404 the second time', async () => {
    expect((await remove(UNKNOWN)).statusCode).toBe(404);
    const id = await create('Twice');
    expect((await remove(id)).statusCode).toBe(204);
    const again = await remove(id);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'not-found' });
  });
});

describe('who may change categories', () => {
  it.each([
    ['PATCH', { name: 'Hijacked' }],
    ['DELETE', undefined],
  ] as const)(
    '%s without a token is 401, without catalog:write 403; nothing changes',
    async (method, payload) => {
      const id = await create('Guarded');
      const url = `/v1/categories/${id}`;
      const anonymous = await t.app.inject({ method, url, payload });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toBe(PROBLEM);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="meridian"');
      const forbidden = await t.app.inject({ method, url, payload, headers: customer });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toMatchObject({
        code: 'forbidden',
        detail: 'Missing permission: catalog:write.',
      });
      expect(await row(id)).toMatchObject({ name: 'Guarded' });
    },
  );

  it('checks the permission before the body: a bad PATCH body without catalog:write is 403', async () => {
    const id = await create('Body later');
    expect((await patch(id, { nonsense: true }, customer)).statusCode).toBe(403);
    expect((await patch(id, { nonsense: true }, {})).statusCode).toBe(401);
  });

  it('is documented as needing the bearer token', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    const item = doc.paths['/v1/categories/{id}'];
    expect(item.patch.security).toEqual([{ bearerAuth: [] }]);
    expect(item.delete.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(item.patch.responses).sort()).toEqual(
      ['200', '400', '401', '403', '404', '409', '422'].sort(),
    );
    expect(Object.keys(item.delete.responses).sort()).toEqual(
      ['204', '400', '401', '403', '404', '409'].sort(),
    );
  });
});

describe('concurrent moves (the tree lock)', () => {
  it('A under B and B under A at once: exactly one succeeds, 30 times over, and no cycle', async () => {
    for (let round = 0; round < 30; round++) {
      const a = await create(`Race A ${round}`);
      const b = await create(`Race B ${round}`);
      const [ab, ba] = await Promise.all([patch(a, { parentId: b }), patch(b, { parentId: a })]);
      const codes = [ab.statusCode, ba.statusCode].sort();
      expect(codes, `round ${round}: ${ab.body} ${ba.body}`).toEqual([200, 422]);
      const loser = ab.statusCode === 422 ? ab : ba;
      expect(loser.json().code).toBe('category-cycle');
    }
    await assertNoCycle();
  });

  it('a three-way rotation (A→B, B→C, C→A) at once never closes the loop', async () => {
    for (let round = 0; round < 15; round++) {
      const [a, b, c] = [
        await create(`Rot A ${round}`),
        await create(`Rot B ${round}`),
        await create(`Rot C ${round}`),
      ];
      const results = await Promise.all([
        patch(a, { parentId: b }),
        patch(b, { parentId: c }),
        patch(c, { parentId: a }),
      ]);
      const ok = results.filter((r) => r.statusCode === 200).length;
      expect(ok, results.map((r) => r.body).join('\n')).toBe(2);
      expect(results.every((r) => r.statusCode === 200 || r.statusCode === 422)).toBe(true);
    }
    await assertNoCycle();
  });

  it('a move racing a delete of its new parent: never a child under a deleted parent', async () => {
    for (let round = 0; round < 10; round++) {
      const target = await create(`Target ${round}`);
      const mover = await create(`Mover ${round}`);
      const [moved, deleted] = await Promise.all([
        patch(mover, { parentId: target }),
        remove(target),
      ]);
      // Either the move came first (then the delete sees a child: 409) or the delete did
      // (then the move finds no parent: 422).
      const outcome = [moved.statusCode, deleted.statusCode].join('/');
      expect(['200/409', '422/204'], `${moved.body} ${deleted.body}`).toContain(outcome);
    }
    await assertNoCycle();
  });
});
