// Shared arrangement for catalog's tests: the app on a cloned database and Redis prefix,
// trusting a test issuer whose JWKS it fetches over real HTTP (tokens are signed to the
// auth service's contract, so verification is the real thing, not a stub).
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

export type CatalogTestApp = TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;

/** A catalog app and its issuer; `env` adds to (and may override) the issuer's AUTH_* vars. */
export async function createCatalogApp(
  env: Record<string, string> = {},
): Promise<{ t: CatalogTestApp; issuer: TestIssuer }> {
  const issuer = await createTestIssuer();
  const t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
    env: { ...issuer.env, ...env },
  });
  return { t, issuer };
}
