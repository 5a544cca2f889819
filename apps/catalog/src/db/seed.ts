// `pnpm db:seed`: the deterministic demo catalog (demo-catalog.ts): the category tree upserted
// by slug, ~3,000 products inserted once by SKU (so edits made through the API survive a
// restart) with some stock each (set once, likewise). Safe, and fast when warm, on every start.
import { loadConfigOrExit } from '@meridian/config';
import { createPool } from '@meridian/db';
import { ConfigSchema } from '../config.ts';
import { seedDemoCatalog } from './demo-catalog.ts';

const config = loadConfigOrExit(ConfigSchema);
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 1,
  applicationName: 'catalog-seed',
});
try {
  const started = performance.now();
  const r = await seedDemoCatalog(pool);
  console.error(
    `catalog: seeded ${r.categories} categories, ${r.products} demo products ` +
      `(${r.productsInserted} new, ${r.inventoryInserted} stock rows new) in ${Math.round(performance.now() - started)} ms`,
  );
} finally {
  await pool.end();
}
