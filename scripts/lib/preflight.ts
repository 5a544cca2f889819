// Before starting anything: are Postgres and Redis there? If not, say exactly how to start
// them, instead of four services failing with four stack traces.
import net from 'node:net';

function reachable(host: string, port: number, timeoutMs = 1_500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const HOW_TO = {
  postgres: [
    'PostgreSQL is not reachable at %s. Start it with one of:',
    '  docker compose up -d postgres            (with Docker; compose file: issue #7)',
    '  sudo apt-get install -y postgresql && sudo pg_ctlcluster 15 main start   (Debian/Ubuntu)',
    '  brew install postgresql@15 && brew services start postgresql@15        (macOS)',
    'The default DATABASE_URL is postgres://postgres@127.0.0.1:5432/meridian (trust auth).',
  ],
  redis: [
    'Redis is not reachable at %s. Start it with one of:',
    '  docker compose up -d redis',
    '  sudo apt-get install -y redis-server && redis-server --daemonize yes   (Debian/Ubuntu)',
    '  brew install redis && brew services start redis                         (macOS)',
  ],
};

export async function preflight(env: NodeJS.ProcessEnv): Promise<string[]> {
  const db = new URL(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/meridian');
  const redis = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const problems: string[] = [];
  if (!(await reachable(db.hostname, Number(db.port || 5432)))) {
    problems.push(HOW_TO.postgres.join('\n').replace('%s', db.host));
  }
  if (!(await reachable(redis.hostname, Number(redis.port || 6379)))) {
    problems.push(HOW_TO.redis.join('\n').replace('%s', redis.host));
  }
  return problems;
}
