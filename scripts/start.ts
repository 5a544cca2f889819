// `pnpm start`: the whole system on this machine, in one command. Checks Postgres and Redis,
// migrates, seeds, starts the four services as separate processes with prefixed logs, waits
// until each is ready and prints where everything is. Ctrl-C (or SIGTERM) stops them all
// gracefully. `pnpm dev` is the same with each service restarting on file changes.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DEV_ADMIN_PASSWORD } from '../apps/auth/src/config.ts';
import { migrateAll, seedAll } from './lib/database.ts';
import { loadDotEnv } from './lib/dotenv.ts';
import { formatLine } from './lib/log-format.ts';
import { preflight } from './lib/preflight.ts';
import { runTs, waitForHttp } from './lib/processes.ts';
import { appPath, jwksUrlOf, portOf, SERVICES, urlOf } from './lib/services.ts';

const watch = process.argv.includes('--watch');
const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const bold = (s: string) => (useColor ? `\x1b[1m${s}\x1b[0m` : s);

loadDotEnv();
const env = { ...process.env };
// AUTH_PORT may move the auth service; the others must still find its keys.
env.AUTH_JWKS_URL ||= jwksUrlOf(env);
// And orders must find catalog and auth's token endpoint, wherever CATALOG_PORT and AUTH_PORT
// put them.
env.CATALOG_URL ||= urlOf('catalog', env);
env.AUTH_TOKEN_URL ||= `${urlOf('auth', env)}/v1/auth/token`;
// A laptop run: let auth generate its signing key and seed the dev admin (docs/configuration.md).
env.AUTH_DEV_DEFAULTS ||= 'true';

const problems = await preflight(env);
if (problems.length > 0) {
  console.error(problems.join('\n\n'));
  process.exit(1);
}

console.log('meridian: applying migrations…');
await migrateAll(env);
console.log('meridian: seeding demo data…');
await seedAll(env);

const children = new Map<string, ChildProcess>();
let stopping = false;

for (const service of SERVICES) {
  const child = runTs(
    appPath(service, 'src/server.ts'),
    { ...env, PORT: String(portOf(service, env)) },
    { watch, ownGroup: true },
  );
  children.set(service.name, child);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) =>
      console.log(formatLine(service.name, service.color, line, useColor)),
    );
  }
  child.once('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      console.error(`meridian: ${service.name} exited (${signal ?? code}); stopping the others`);
      void stop(1);
    } else if (children.size === 0) {
      process.exit(exitCode);
    }
  });
}

let exitCode = 0;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  console.log('meridian: stopping services…');
  for (const child of children.values()) child.kill('SIGTERM');
  if (children.size === 0) process.exit(exitCode);
  // A service that does not stop within its grace period is killed.
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, 15_000).unref();
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  await Promise.all(
    SERVICES.map((s) => waitForHttp(`http://127.0.0.1:${portOf(s, env)}/health/ready`, 60_000)),
  );
} catch (err) {
  console.error(`meridian: ${(err as Error).message}`);
  await stop(1);
}

if (!stopping) {
  const rows = SERVICES.map((s) => {
    const base = `http://localhost:${portOf(s, env)}`;
    return [
      `  ${bold(s.name.padEnd(8))} ${base}${s.example}`,
      `           docs ${base}/docs   openapi ${base}/docs/json   metrics ${base}/metrics`,
    ].join('\n');
  });
  console.log(`\n${bold('Meridian is up.')} Four services, each with health, docs and metrics:\n`);
  console.log(rows.join('\n'));
  // The seeded admin, so a newcomer can try the protected routes at once (docs/rbac.md).
  const adminEmail = (env.AUTH_ADMIN_EMAIL || 'admin@meridian.local').trim().toLowerCase();
  const adminPassword = env.AUTH_ADMIN_PASSWORD
    ? '<your AUTH_ADMIN_PASSWORD>'
    : `${DEV_ADMIN_PASSWORD} (the dev default, unless you changed it)`;
  console.log(`\n  Admin: ${adminEmail} / ${adminPassword}`);
  console.log('  Get a token: docs/jwt-and-sessions.md');
  console.log(`\nConcept map: docs/concepts.md · Stop everything: Ctrl-C\n`);
}
