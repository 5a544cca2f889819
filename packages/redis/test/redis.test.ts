// Redis connections per role, against the real server and a dead port: request-path
// commands fail fast instead of queueing forever, errors never crash the process, and
// closing never hangs.
import { createTcpProxy } from '@meridian/testing';
import { describe, expect, it } from 'vitest';
import { closeRedis, createRedis, pingRedis, waitForReady } from '../src/index.ts';

describe('createRedis', () => {
  it('connects and names the connection', async () => {
    const client = createRedis({
      url: 'redis://127.0.0.1:6379',
      role: 'request',
      name: 'test-conn',
    });
    try {
      await waitForReady(client, 2_000);
      await pingRedis(client);
      expect(await client.client('GETNAME')).toBe('test-conn');
    } finally {
      await closeRedis(client);
    }
  });

  it('on the request path, fails fast when Redis is unreachable, and reports the error', async () => {
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: 6379 });
    await proxy.cut();
    const errors: Error[] = [];
    const client = createRedis({
      url: `redis://127.0.0.1:${proxy.port}`,
      role: 'request',
      name: 'test-down',
      onError: (err) => errors.push(err),
    });
    try {
      const started = Date.now();
      await expect(pingRedis(client, 1_000)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_500);
      // The connection error is reported through onError, not thrown at the process.
      for (let i = 0; i < 40 && errors.length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      const started = Date.now();
      await closeRedis(client);
      expect(Date.now() - started).toBeLessThan(1_000);
      await proxy.close();
    }
  });

  it('gives workers the retry policy BullMQ requires', () => {
    const worker = createRedis({ url: 'redis://127.0.0.1:6379', role: 'worker', name: 'w' });
    expect(worker.options.maxRetriesPerRequest).toBeNull();
    worker.disconnect();
  });
});
