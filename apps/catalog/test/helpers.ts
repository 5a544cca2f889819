// Shared arrangement for catalog's tests: the app on a cloned database and Redis prefix,
// trusting a test issuer whose JWKS it fetches over real HTTP (tokens are signed to the
// auth service's contract, so verification is the real thing, not a stub).
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { buildApp } from '../src/app.ts';
import { type Config, ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

export type CatalogApp = Awaited<ReturnType<typeof buildApp>>;
export type CatalogTestApp = TestApp<CatalogApp, unknown>;

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

/** `Authorization: Bearer <token>` for a token the issuer signs with these claims. */
export async function bearerFor(
  issuer: TestIssuer,
  claims: Parameters<TestIssuer['sign']>[0],
): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await issuer.sign(claims)}` };
}

/** Staff who may edit the catalog (`catalog:write`). */
export const staffHeaders = (issuer: TestIssuer) =>
  bearerFor(issuer, { sub: 'staff-1', roles: ['staff'], permissions: ['catalog:write'] });

/** A signed-in customer: a valid token without `catalog:write`. */
export const customerHeaders = (issuer: TestIssuer) =>
  bearerFor(issuer, { sub: 'customer-1', roles: ['customer'], permissions: ['orders:read:own'] });

export interface CatalogReplicas {
  /** The first replica, which owns the cloned database and the Redis prefix. */
  a: TestApp<CatalogApp, Config>;
  /** A second buildApp of a's config: the same database and Redis prefix, as a replica. */
  b: CatalogApp;
  issuer: TestIssuer;
  close(): Promise<void>;
}

/** Two catalog instances side by side, for what must hold across replicas (caches). */
export async function createCatalogReplicas(
  env: Record<string, string> = {},
): Promise<CatalogReplicas> {
  const issuer = await createTestIssuer();
  const a = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
    env: { ...issuer.env, ...env },
  });
  const b = await buildApp(a.config);
  await b.ready();
  return {
    a,
    b,
    issuer,
    async close() {
      await b.close();
      await a.close();
      await issuer.close();
    },
  };
}

/** A node of `EXPLAIN (FORMAT JSON)` output, as the EXPLAIN tests read it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** Every node of a plan, the root first. */
export function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}
