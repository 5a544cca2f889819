// The orders service as the checkout bench runs it: apps/orders/src/server.ts line for line
// (the real config schema, buildApp, runService), except that the token orders presents to
// catalog comes from BENCH_CATALOG_TOKEN (signed by the bench's JWKS fixture) through
// buildApp's `overrides.catalogToken`, the way the orders tests do it, instead of a
// client-credentials grant against a running auth service. Bench only; never deployed.
import { loadConfigOrExit } from '@meridian/config';
import { runService } from '@meridian/service-kit';
import { buildApp } from '../../apps/orders/src/app.ts';
import { ConfigSchema } from '../../apps/orders/src/config.ts';

const token = process.env.BENCH_CATALOG_TOKEN;
if (!token) {
  console.error('orders-entry: set BENCH_CATALOG_TOKEN (a service:orders token for catalog)');
  process.exit(2);
}

const config = loadConfigOrExit(ConfigSchema);
const app = await buildApp(config, { catalogToken: async () => token });
await runService(app, { host: config.HOST, port: config.PORT, graceMs: config.SHUTDOWN_GRACE_MS });
