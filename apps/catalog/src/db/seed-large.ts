// `pnpm --filter @meridian/catalog db:seed:large -- --count 1000000 [--batch-size 10000]
// [--no-vacuum]`: loads bulk products for benchmarks (load-products.ts), printing progress to
// stderr after every batch. Re-running resumes: batches already loaded are skipped.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@meridian/config';
import { createPool } from '@meridian/db';
import { ConfigSchema } from '../config.ts';
import { loadBulkProducts } from './load-products.ts';

const { values } = parseArgs({
  // pnpm may pass the `--` separator through; it is not an argument here.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    count: { type: 'string', default: '1000000' },
    'batch-size': { type: 'string', default: '10000' },
    'no-vacuum': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const batchSize = Number(values['batch-size']);
if (!Number.isInteger(count) || count < 0 || !Number.isInteger(batchSize) || batchSize < 1) {
  console.error('usage: db:seed:large [--count N] [--batch-size N] [--no-vacuum]');
  process.exit(2);
}

const config = loadConfigOrExit(ConfigSchema);
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 1,
  applicationName: 'catalog-seed-large',
});
const fmt = new Intl.NumberFormat('en');
try {
  const r = await loadBulkProducts(pool, {
    count,
    batchSize,
    vacuum: !values['no-vacuum'],
    onProgress: (p) => {
      const pct = p.total === 0 ? 100 : (p.done / p.total) * 100;
      const eta = p.rowsPerSec > 0 ? (p.total - p.done) / p.rowsPerSec : 0;
      console.error(
        `catalog: ${fmt.format(p.done)}/${fmt.format(p.total)} (${pct.toFixed(1)}%) ` +
          `${fmt.format(Math.round(p.rowsPerSec))} rows/s, ${fmt.format(p.inserted)} new, ` +
          `${fmt.format(p.skipped)} already there, eta ${eta.toFixed(0)} s`,
      );
    },
  });
  console.error(
    `catalog: done: ${fmt.format(r.inserted)} inserted, ${fmt.format(r.skipped)} already there, ` +
      `${(r.elapsedMs / 1000).toFixed(1)} s, ${fmt.format(Math.round(r.rowsPerSec))} rows/s (incl. VACUUM ANALYZE)`,
  );
} finally {
  await pool.end();
}
