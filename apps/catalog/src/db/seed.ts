// `pnpm db:seed`: demo categories, idempotent (upsert by slug), safe to run on every start.
import { loadConfigOrExit } from '@meridian/config';
import { createPool } from '@meridian/db';
import { sql } from 'drizzle-orm';
import { ConfigSchema } from '../config.ts';
import { createCatalogDb } from './client.ts';
import { categories } from './schema/index.ts';

const TREE: Array<{ slug: string; name: string; parent?: string }> = [
  { slug: 'electronics', name: 'Electronics' },
  { slug: 'laptops', name: 'Laptops', parent: 'electronics' },
  { slug: 'phones', name: 'Phones', parent: 'electronics' },
  { slug: 'home', name: 'Home & Kitchen' },
  { slug: 'coffee', name: 'Coffee', parent: 'home' },
  { slug: 'books', name: 'Books' },
];

const config = loadConfigOrExit(ConfigSchema);
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 1,
  applicationName: 'catalog-seed',
});
const db = createCatalogDb(pool);
try {
  // Parents come before children in TREE, so each parent id exists when its children land.
  for (const node of TREE) {
    const parentId = node.parent
      ? sql`(SELECT id FROM catalog.categories WHERE slug = ${node.parent})`
      : null;
    await db
      .insert(categories)
      .values({ slug: node.slug, name: node.name, parentId })
      .onConflictDoUpdate({ target: categories.slug, set: { name: node.name, parentId } });
  }
  console.error(`catalog: seeded ${TREE.length} categories`);
} finally {
  await pool.end();
}
