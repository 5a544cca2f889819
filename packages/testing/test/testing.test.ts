// The test helpers themselves: cloned databases are separate and migrated; the proxy
// really forwards, refuses when cut and recovers when restored.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_DATABASE_URL,
  createTcpProxy,
  createTestDatabase,
  testEnv,
  uniquePrefix,
} from '../src/index.ts';

const MIGRATIONS = fileURLToPath(new URL('../../db/test/fixtures/migrations', import.meta.url));

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  it('gives each caller its own migrated database, even when cloned concurrently', async () => {
    const [a, b] = await Promise.all([
      createTestDatabase({ schema: 'dbtest', migrationsFolder: MIGRATIONS }),
      createTestDatabase({ schema: 'dbtest', migrationsFolder: MIGRATIONS }),
    ]);
    try {
      expect(a.name).not.toBe(b.name);
      await query(a.url, "INSERT INTO dbtest.things (name) VALUES ('only in a')");
      expect((await query(a.url, 'SELECT * FROM dbtest.things')).rowCount).toBe(1);
      expect((await query(b.url, 'SELECT * FROM dbtest.things')).rowCount).toBe(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    await expect(query(a.url, 'SELECT 1')).rejects.toThrow(/does not exist/);
  });
});

describe('template databases', () => {
  it('drops the templates of older migrations when it builds a new one', async () => {
    const stale = 'meridian_tpl_dbtest_ffffffffff';
    await query(ADMIN_DATABASE_URL, `DROP DATABASE IF EXISTS "${stale}"`);
    await query(ADMIN_DATABASE_URL, `CREATE DATABASE "${stale}"`);
    // A copy of the migrations with one more file hashes differently: a new template.
    const changed = mkdtempSync(join(tmpdir(), 'meridian-migrations-'));
    cpSync(MIGRATIONS, changed, { recursive: true });
    writeFileSync(join(changed, 'NOTE.md'), 'changes the hash');
    const db = await createTestDatabase({ schema: 'dbtest', migrationsFolder: changed });
    try {
      const left = await query(
        ADMIN_DATABASE_URL,
        `SELECT 1 FROM pg_database WHERE datname = '${stale}'`,
      );
      expect(left.rowCount).toBe(0);
    } finally {
      await db.drop();
      rmSync(changed, { recursive: true, force: true });
    }
  });
});

describe('createTcpProxy', () => {
  const ping = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        resolve(d.toString().trim());
        socket.destroy();
      });
      socket.once('error', reject);
    });

  it('forwards, refuses while cut, and forwards again once restored', async () => {
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: 6379 });
    try {
      expect(await ping(proxy.port)).toBe('+PONG');
      await proxy.cut();
      await expect(ping(proxy.port)).rejects.toThrow(/ECONNREFUSED/);
      await proxy.restore();
      expect(await ping(proxy.port)).toBe('+PONG');
    } finally {
      await proxy.close();
    }
  });
});

describe('testEnv', () => {
  it('isolates Redis keys per call and keeps logs quiet', () => {
    expect(testEnv().REDIS_PREFIX).not.toBe(testEnv().REDIS_PREFIX);
    expect(testEnv().LOG_LEVEL).toBe('silent');
    expect(uniquePrefix('x')).toMatch(/^x:[0-9a-f]{8}:$/);
  });
});
