// `pnpm db:seed`: demo categories (upsert by slug) and a few products under them (inserted
// once by SKU, so edits made through the API survive a restart) with some stock each (set
// once, likewise); safe on every start.
import { loadConfigOrExit } from '@meridian/config';
import { createPool } from '@meridian/db';
import { sql } from 'drizzle-orm';
import { ConfigSchema } from '../config.ts';
import { createCatalogDb } from './client.ts';
import { categories, inventory, type ProductAttributes, products } from './schema/index.ts';

const TREE: Array<{ slug: string; name: string; parent?: string }> = [
  { slug: 'electronics', name: 'Electronics' },
  { slug: 'laptops', name: 'Laptops', parent: 'electronics' },
  { slug: 'phones', name: 'Phones', parent: 'electronics' },
  { slug: 'home', name: 'Home & Kitchen' },
  { slug: 'coffee', name: 'Coffee', parent: 'home' },
  { slug: 'books', name: 'Books' },
];

const PRODUCTS: Array<{
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  category: string;
  attributes: ProductAttributes;
}> = [
  {
    sku: 'LAP-AERO-13',
    name: 'Aero 13 laptop',
    description: 'A thin, quiet 13-inch laptop for travel.',
    priceMinor: 129_900,
    category: 'laptops',
    attributes: { colour: 'silver', ram_gb: 16, touchscreen: false },
  },
  {
    sku: 'LAP-FORGE-16',
    name: 'Forge 16 gaming laptop',
    description: 'A 16-inch laptop with a discrete graphics card.',
    priceMinor: 219_900,
    category: 'laptops',
    attributes: { colour: 'black', ram_gb: 32, touchscreen: false },
  },
  {
    sku: 'PHN-ORBIT-6',
    name: 'Orbit 6 phone',
    description: 'A 6-inch phone with a two-day battery.',
    priceMinor: 59_900,
    category: 'phones',
    attributes: { colour: 'blue', storage_gb: 128 },
  },
  {
    sku: 'PHN-ORBIT-6-MINI',
    name: 'Orbit 6 mini phone',
    description: 'The Orbit 6 in a smaller body.',
    priceMinor: 49_900,
    category: 'phones',
    attributes: { colour: 'green', storage_gb: 64 },
  },
  {
    sku: 'COF-BURR-GRINDER',
    name: 'Burr coffee grinder',
    description: 'Conical burrs, forty grind settings, espresso to cold brew.',
    priceMinor: 8_900,
    category: 'coffee',
    attributes: { colour: 'black', electric: true },
  },
  {
    sku: 'COF-MOKA-6',
    name: 'Stovetop moka pot, 6 cups',
    description: 'Aluminium moka pot for gas and electric hobs.',
    priceMinor: 3_490,
    category: 'coffee',
    attributes: { colour: 'silver', electric: false },
  },
  {
    sku: 'BOOK-SQL-PERF',
    name: 'Fast SQL, explained',
    description: 'Indexes, query plans and keyset pagination, with examples.',
    priceMinor: 3_900,
    category: 'books',
    attributes: { format: 'paperback', pages: 312 },
  },
];

/** Units on hand for each demo product, so reservations can be tried at once. */
const DEMO_ON_HAND = 25;

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
  for (const p of PRODUCTS) {
    await db
      .insert(products)
      .values({
        sku: p.sku,
        name: p.name,
        description: p.description,
        priceMinor: p.priceMinor,
        currency: 'EUR',
        attributes: p.attributes,
        status: 'active',
        categoryId: sql`(SELECT id FROM catalog.categories WHERE slug = ${p.category})`,
      })
      .onConflictDoNothing({ target: products.sku });
    await db
      .insert(inventory)
      .values({
        productId: sql`(SELECT id FROM catalog.products WHERE sku = ${p.sku})`,
        onHand: DEMO_ON_HAND,
      })
      .onConflictDoNothing({ target: inventory.productId });
  }
  console.error(
    `catalog: seeded ${TREE.length} categories, ${PRODUCTS.length} products with ${DEMO_ON_HAND} in stock`,
  );
} finally {
  await pool.end();
}
