// The N+1 problem, measured. Each product's category and stock are separate reads; naively
// resolved, a page of N products costs 1 + 2N statements. The loaders batch them, so a page
// costs the same 3 statements for 5 products as for 50. The count is taken on the app's own
// pg pool (graphql.helpers.ts), so a per-product lookup coming back fails this test.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCategory, addProducts, countStatements, gql } from './graphql.helpers.ts';
import { type CatalogTestApp, createCatalogApp, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };

const QUERY = `query($n: Int) {
  products(first: $n) {
    nodes { id name category { id name } stock { onHand reserved available } }
    pageInfo { endCursor hasNextPage }
  }
}`;

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp({
    RATE_LIMIT_MAX: '100000',
    // The app's background pollers share the pool; off here, so every counted statement is
    // one the request under test sent.
    RESERVATION_EXPIRY_INTERVAL_MS: '0',
    OUTBOX_RELAY_INTERVAL_MS: '0',
  }));
  writer = await staffHeaders(issuer);
  const categories: string[] = [];
  for (let i = 0; i < 5; i++) categories.push(await addCategory(t, `shelf-${i}`));
  await addProducts(t, 'item', 60, categories);
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

interface Node {
  id: string;
  category: { id: string; name: string };
  stock: { onHand: number; reserved: number; available: number };
}

async function page(n: number): Promise<{ statements: number; nodes: Node[] }> {
  let nodes: Node[] = [];
  const { count } = await countStatements(t.app.pg, async () => {
    const res = await gql(t, QUERY, { variables: { n }, headers: writer });
    expect(res.body.errors).toBeUndefined();
    nodes = ((res.body.data?.products ?? { nodes: [] }) as { nodes: Node[] }).nodes;
  });
  return { statements: count, nodes };
}

describe('products with category and stock', () => {
  it('run 3 statements for a page of 5 and for a page of 50', async () => {
    const small = await page(5);
    const large = await page(50);
    expect(small.nodes).toHaveLength(5);
    expect(large.nodes).toHaveLength(50);
    // The page, the categories of its products, their stock: one statement each.
    expect(small.statements).toBe(3);
    expect(large.statements).toBe(3);
  });

  it('answer each product with its own category and stock', async () => {
    const { nodes } = await page(50);
    const { rows } = await t.app.pg.query<{
      id: string;
      category_id: string;
      category_name: string;
      on_hand: number;
      reserved: number;
    }>(
      `SELECT p.id, p.category_id, c.name AS category_name, i.on_hand, i.reserved
         FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id
         JOIN catalog.inventory i ON i.product_id = p.id`,
    );
    const expected = new Map(rows.map((r) => [r.id, r]));
    for (const node of nodes) {
      const row = expected.get(node.id);
      expect(node.category).toEqual({ id: row?.category_id, name: row?.category_name });
      expect(node.stock).toEqual({
        onHand: row?.on_hand,
        reserved: row?.reserved,
        available: (row?.on_hand ?? 0) - (row?.reserved ?? 0),
      });
    }
  });

  it('take 1 + 2N requests and at least as many statements through REST', async () => {
    // The same data the REST way: the list, then each product's category and stock.
    let requests = 0;
    const { count } = await countStatements(t.app.pg, async () => {
      const list = (await t.app.inject({ url: '/v1/products?limit=50', headers: writer })).json();
      requests++;
      for (const product of list.items as { id: string; categoryId: string }[]) {
        await t.app.inject({ url: `/v1/categories/${product.categoryId}` });
        await t.app.inject({ url: `/v1/products/${product.id}/inventory`, headers: writer });
        requests += 2;
      }
    });
    expect(requests).toBe(101);
    // The list, then a category and a stock read per product: 101 when this was written
    // (docs/rest-vs-graphql.md). Stock is never cached; a category cache could lower the rest.
    expect(count).toBeGreaterThan(50);
  });
});
