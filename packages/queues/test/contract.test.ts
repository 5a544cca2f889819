// Contracts at both ends: a producer cannot send what the contract forbids, a worker refuses
// what should never have been sent (and BullMQ fails that job at once), and enqueue adds
// with the contract's options on the real Redis.
import { randomUUID } from 'node:crypto';
import { closeRedis, createRedis } from '@meridian/redis';
import { uniquePrefix } from '@meridian/testing';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import {
  catalogEvents,
  checkPayload,
  enqueue,
  InvalidJobPayloadError,
  LOW_STOCK,
  type LowStockPayload,
  openQueue,
  parseJob,
  queuePrefix,
} from '../src/index.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const lowStock = (over: Partial<LowStockPayload> = {}): LowStockPayload => ({
  eventId: randomUUID(),
  productId: randomUUID(),
  sku: 'LAP-AERO-13',
  available: 3,
  threshold: 5,
  occurredAt: new Date().toISOString(),
  ...over,
});

describe('checkPayload (the producer side)', () => {
  it('returns a payload the contract allows', () => {
    const payload = lowStock();
    expect(checkPayload(catalogEvents, LOW_STOCK, payload)).toBe(payload);
  });

  it('refuses a payload that breaks the schema, naming every problem', () => {
    const bad = { ...lowStock({ available: -1, occurredAt: 'yesterday' }), extra: true };
    let error: unknown;
    try {
      checkPayload(catalogEvents, LOW_STOCK, bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidJobPayloadError);
    const issues = (error as InvalidJobPayloadError).issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(['/available', '/occurredAt', '/extra']));
    expect((error as Error).message).toContain('catalog-events/inventory.low-stock');
  });

  it('refuses a job name the queue does not have (an inherited key included)', () => {
    // @ts-expect-error: the name is not in the contract, so it does not typecheck either
    expect(() => checkPayload(catalogEvents, 'inventory.restocked', lowStock())).toThrow(
      /no job named "inventory.restocked"/,
    );
    // @ts-expect-error: as above
    expect(() => checkPayload(catalogEvents, 'toString', lowStock())).toThrow(
      InvalidJobPayloadError,
    );
  });
});

describe('parseJob (the worker side)', () => {
  it('narrows name and payload together', () => {
    const payload = lowStock();
    const job = parseJob(catalogEvents, { name: LOW_STOCK, data: payload });
    expect(job).toEqual({ name: LOW_STOCK, data: payload });
    if (job.name === LOW_STOCK) expect(job.data.sku).toBe('LAP-AERO-13');
  });

  it('throws UnrecoverableError with the reason, so BullMQ fails the job without retrying', () => {
    const run = () => parseJob(catalogEvents, { name: LOW_STOCK, data: { sku: '' } });
    expect(run).toThrow(UnrecoverableError);
    expect(run).toThrow(/inventory.low-stock job does not match its contract: .*eventId.*\/sku/);
  });
});

describe('enqueue', () => {
  it('adds a valid job with the contract options, and refuses an invalid one before Redis', async () => {
    const connection = createRedis({ url: REDIS_URL, role: 'producer', name: 'queues-test' });
    const queue = openQueue(catalogEvents, {
      connection,
      prefix: queuePrefix(uniquePrefix('test:queues')),
    });
    try {
      const payload = lowStock();
      const job = await enqueue(queue, catalogEvents, LOW_STOCK, payload, {
        jobId: payload.eventId,
      });
      expect(job.id).toBe(payload.eventId);
      expect(job.data).toEqual(payload);
      expect(job.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential' } });

      await expect(
        enqueue(queue, catalogEvents, LOW_STOCK, { ...payload, threshold: 0 }),
      ).rejects.toThrow(InvalidJobPayloadError);
      expect(await queue.getJobCountByTypes('waiting', 'delayed', 'active')).toBe(1);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await closeRedis(connection);
    }
  });

  it('refuses a queue that is not the contract queue', async () => {
    const connection = createRedis({ url: REDIS_URL, role: 'producer', name: 'queues-test' });
    const other = openQueue({ ...catalogEvents, queue: 'other' }, { connection, prefix: 'x' });
    try {
      await expect(enqueue(other, catalogEvents, LOW_STOCK, lowStock())).rejects.toThrow(
        /not the contract's queue/,
      );
    } finally {
      await other.close();
      await closeRedis(connection);
    }
  });
});

describe('queuePrefix', () => {
  it('puts BullMQ keys under <REDIS_PREFIX>bull, like the jobs service', () => {
    expect(queuePrefix('meridian:')).toBe('meridian:bull');
  });
});
