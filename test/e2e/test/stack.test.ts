// The README's start command, for real: `scripts/start.ts` as a process on its own fresh
// database and free ports. Every service must be ready within 60 s, publish a valid OpenAPI
// document, serve a /v1 read and expose the HTTP histogram; a token the auth service issues
// must open the other services' guarded routes (they find its JWKS on its port); Ctrl-C must
// stop them all cleanly. Each service must also refuse to start on an invalid environment.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { DEV_ADMIN_PASSWORD } from '@meridian/auth/config';
import { ADMIN_DATABASE_URL, uniquePrefix } from '@meridian/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
// `token`: the read needs the seeded admin's access token (jobs' routes need jobs:admin).
const SERVICES = [
  { name: 'auth', portVar: 'AUTH_PORT', read: '/v1/roles', route: '/v1/roles', token: false },
  {
    name: 'catalog',
    portVar: 'CATALOG_PORT',
    read: '/v1/categories',
    route: '/v1/categories',
    token: false,
  },
  {
    name: 'orders',
    portVar: 'ORDERS_PORT',
    read: '/v1/shipping-methods',
    route: '/v1/shipping-methods',
    token: false,
  },
  { name: 'jobs', portVar: 'JOBS_PORT', read: '/v1/queues', route: '/v1/queues', token: true },
] as const;

const dbName = `meridian_e2e_${uniquePrefix('x').slice(2, 10)}`;
const ports: Record<string, number> = {};
let stack: ChildProcess;
let output = '';
let readyAfterMs = Number.POSITIVE_INFINITY;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const base = (name: string) => `http://127.0.0.1:${ports[name]}`;

let adminToken: Promise<string> | undefined;
/** The seeded admin's access token (admin holds jobs:admin and catalog:write), once. */
function adminBearer(): Promise<{ authorization: string }> {
  adminToken ??= (async () => {
    const res = await fetch(`${base('auth')}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'password',
        username: process.env.AUTH_ADMIN_EMAIL ?? 'admin@meridian.local',
        password: process.env.AUTH_ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD,
      }),
    });
    if (res.status !== 200) throw new Error(`admin login: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  })();
  return adminToken.then((token) => ({ authorization: `Bearer ${token}` }));
}

beforeAll(async () => {
  for (const s of SERVICES) ports[s.name] = await freePort();
  const dbUrl = new URL(ADMIN_DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const started = Date.now();
  stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      REDIS_PREFIX: uniquePrefix('e2e'),
      ...Object.fromEntries(SERVICES.map((s) => [s.portVar, String(ports[s.name])])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout?.on('data', (d) => (output += d));
  stack.stderr?.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack not up in 90 s:\n${output}`)), 90_000);
    const check = setInterval(() => {
      if (output.includes('Meridian is up')) {
        readyAfterMs = Date.now() - started;
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    stack.once('exit', (code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}:\n${output}`));
    });
  });
}, 100_000);

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    stack.kill('SIGKILL');
  }
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
}, 30_000);

describe('pnpm start', () => {
  it('brings all four services to ready within 60 s', async () => {
    expect(readyAfterMs).toBeLessThan(60_000);
    for (const s of SERVICES) {
      const res = await fetch(`${base(s.name)}/health/ready`);
      expect(res.status, s.name).toBe(200);
    }
  });

  it.each(SERVICES)('$name publishes a valid OpenAPI 3 document at /docs/json', async (s) => {
    const doc = (await (await fetch(`${base(s.name)}/docs/json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(doc as never)).resolves.toBeTruthy();
    expect(Object.keys(doc.paths)).toContain(s.route);
    expect((await fetch(`${base(s.name)}/docs`)).status).toBe(200);
  });

  it.each(SERVICES)(
    '$name serves its /v1 read on seeded data and counts it in /metrics',
    async (s) => {
      const res = await fetch(`${base(s.name)}${s.read}`, {
        headers: s.token ? await adminBearer() : {},
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: unknown[] };
      expect(body.items.length).toBeGreaterThan(0);
      const metrics = await (await fetch(`${base(s.name)}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(`http_request_duration_seconds_bucket\\{[^}]*route="${s.route}"[^}]*\\}`),
      );
    },
  );

  it("accepts the auth service's tokens at jobs and catalog, and refuses requests without one", async () => {
    const queues = await fetch(`${base('jobs')}/v1/queues`);
    expect(queues.status).toBe(401);
    expect(queues.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');

    const body = JSON.stringify({ name: 'E2E', slug: `e2e-${Date.now()}` });
    const json = { 'content-type': 'application/json' };
    const anonymous = await fetch(`${base('catalog')}/v1/categories`, {
      method: 'POST',
      headers: json,
      body,
    });
    expect(anonymous.status).toBe(401);
    const created = await fetch(`${base('catalog')}/v1/categories`, {
      method: 'POST',
      headers: { ...json, ...(await adminBearer()) },
      body,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(/^\/v1\/categories\/[0-9a-f-]{36}$/);
  });

  it('stops every service cleanly on Ctrl-C', async () => {
    const exited = once(stack, 'exit');
    stack.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(0);
    for (const s of SERVICES) {
      await expect(fetch(`${base(s.name)}/health/live`)).rejects.toThrow();
    }
    expect(output).toContain('shutting down gracefully');
  }, 30_000);
});

describe('a service with an invalid environment', () => {
  it.each(SERVICES)('$name exits non-zero and names the bad variable', async (s) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `apps/${s.name}/src/server.ts`], {
      cwd: ROOT,
      env: { ...process.env, PORT: 'abc', LOG_LEVEL: 'loud' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('PORT="abc" must be integer');
    expect(stderr).toContain('LOG_LEVEL="loud"');
  });
});

describe('pnpm start without its servers', () => {
  it.each([
    ['PostgreSQL', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/meridian' }],
    ['Redis', { REDIS_URL: 'redis://127.0.0.1:1' }],
  ])('when %s is unreachable, says how to start it and exits 1', async (server, env) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain(`${server} is not reachable at 127.0.0.1:1`);
    expect(stderr).toContain('docker compose up -d');
    expect(stderr).toContain('apt-get install');
  });
});
