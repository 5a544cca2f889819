// The relay: the consumer of the outbox table and the producer of BullMQ jobs. Delivery is at
// least once: a row leaves the table's backlog only after Redis has its job, and a row
// published twice (a crash between the add and the mark) is one job, because the job id is
// the row id. No network call happens inside a database transaction. See README.md.
import { openQueue, type QueueContract } from '@meridian/queues';
import { closeRedis, createRedis } from '@meridian/redis';
import type { Queue } from 'bullmq';
import { and, asc, inArray, isNotNull, isNull, lt, lte, sql } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import { registerRelayMetrics } from './metrics.ts';
import type { OutboxRow, OutboxTable } from './table.ts';
import type { OutboxDb } from './write.ts';

export interface RelayLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  /** The service's drizzle database (the pool, not a transaction). */
  db: OutboxDb;
  table: OutboxTable;
  /** The queues this outbox may publish to; a row for any other queue is retried, not sent. */
  contracts: readonly QueueContract[];
  /** The relay opens its own producer connection here, and closes it on stop(). */
  redisUrl: string;
  /** BullMQ key prefix, the consumers' too: queuePrefix(REDIS_PREFIX). */
  prefix: string;
  /** Names the Redis connection, the log lines and the metrics' `outbox` label ('catalog'). */
  name: string;
  /** Poll period: the longest a committed event waits when the relay is idle (1000). */
  intervalMs?: number;
  /** Rows per claim (100). */
  batchSize?: number;
  /** How long a claimed row is hidden from other relays while this one publishes (30 s). */
  leaseMs?: number;
  /** A publish that takes longer counts as failed; always shorter than the lease (5 s). */
  publishTimeoutMs?: number;
  /** Backoff after a failed publish: retryBaseMs × 2^(attempts − 1), at most retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Published rows older than this are deleted (7 days); 0 keeps them. */
  retentionMs?: number;
  /** How often one relay prunes (1 hour). */
  pruneEveryMs?: number;
  log?: RelayLogger;
  /** prom-client registry: outbox_* counters and gauges appear on the service's /metrics. */
  registry?: Registry;
}

export interface BatchResult {
  claimed: number;
  published: number;
  failed: number;
}

export interface OutboxRelay {
  /** Polls every intervalMs until stop(). */
  start(): void;
  /** Claims and publishes one batch. */
  relayBatch(): Promise<BatchResult>;
  /** Batches until the backlog that is due is gone or a publish fails. */
  drain(): Promise<BatchResult>;
  /** Deletes published rows older than the retention period; returns how many. */
  prune(): Promise<number>;
  /** Stops polling, waits for a batch in flight, then closes its queues and connection. */
  stop(): Promise<void>;
}

const noopLog: RelayLogger = { info() {}, warn() {}, error() {} };
const PRUNE_BATCH = 1_000;

/** Rejects after ms; the raced promise gets a catch so its late failure is not unhandled. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const millis = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

export function createOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const {
    db,
    table,
    intervalMs = 1_000,
    batchSize = 100,
    leaseMs = 30_000,
    retryBaseMs = 1_000,
    retryMaxMs = 60_000,
    retentionMs = 7 * 24 * 3_600_000,
    pruneEveryMs = 3_600_000,
  } = opts;
  const publishTimeoutMs = Math.min(opts.publishTimeoutMs ?? 5_000, leaseMs / 2);
  const log = opts.log ?? noopLog;
  const metrics = opts.registry && registerRelayMetrics(opts.registry, opts.name, db, table);

  const connection = createRedis({
    url: opts.redisUrl,
    role: 'producer',
    name: `${opts.name}:outbox-relay`,
    onError: (err) => log.warn({ err }, 'outbox relay redis connection error'),
  });
  const queues = new Map<string, Queue>();
  for (const contract of opts.contracts) {
    const queue = openQueue(contract, { connection, prefix: opts.prefix });
    // An EventEmitter 'error' without a listener would crash the process.
    queue.on('error', (err) => log.warn({ err, queue: contract.queue }, 'outbox queue error'));
    queues.set(contract.queue, queue);
  }

  /** Takes due rows and hides them from other relays for leaseMs, in one short transaction. */
  async function claim(): Promise<OutboxRow[]> {
    const rows = await db.transaction(async (tx) => {
      // SKIP LOCKED: rows another relay is claiming right now are left to it, not waited for.
      const due = await tx
        .select({ id: table.id })
        .from(table)
        .where(and(isNull(table.publishedAt), lte(table.availableAt, sql`now()`)))
        .orderBy(asc(table.availableAt))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      if (due.length === 0) return [];
      return tx
        .update(table)
        .set({ availableAt: sql`now() + ${millis(leaseMs)}`, attempts: sql`${table.attempts} + 1` })
        .where(
          inArray(
            table.id,
            due.map((r) => r.id),
          ),
        )
        .returning();
    });
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async function publish(queueName: string, rows: OutboxRow[]): Promise<void> {
    const queue = queues.get(queueName);
    if (!queue) throw new Error(`no contract for queue "${queueName}" in this relay`);
    const jobs = rows.map((r) => ({ name: r.name, data: r.payload, opts: { jobId: r.id } }));
    await withTimeout(queue.addBulk(jobs), publishTimeoutMs, `publishing to ${queueName}`);
  }

  async function markPublished(ids: string[]): Promise<void> {
    await db
      .update(table)
      .set({ publishedAt: sql`now()`, lastError: null })
      .where(inArray(table.id, ids));
  }

  /** The rows come back after a backoff that doubles with each attempt. */
  async function markFailed(ids: string[], err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const backoffSecs = sql`least(${retryBaseMs / 1000} * power(2, ${table.attempts} - 1), ${retryMaxMs / 1000})`;
    await db
      .update(table)
      .set({
        availableAt: sql`now() + make_interval(secs => ${backoffSecs})`,
        lastError: message.slice(0, 1_000),
      })
      .where(inArray(table.id, ids));
  }

  async function relayBatch(): Promise<BatchResult> {
    const rows = await claim();
    const result: BatchResult = { claimed: rows.length, published: 0, failed: 0 };
    // Map.groupBy would do, but it needs Node 21.
    const byQueue = new Map<string, OutboxRow[]>();
    for (const r of rows) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r]);
    for (const [queueName, group] of byQueue) {
      const ids = group.map((r) => r.id);
      try {
        await publish(queueName, group);
      } catch (err) {
        result.failed += group.length;
        metrics?.failed.inc(group.length);
        log.warn(
          { err, queue: queueName, events: group.length },
          'outbox publish failed; will retry',
        );
        // If this write fails too, the lease runs out and the rows are claimed again.
        await markFailed(ids, err);
        continue;
      }
      result.published += group.length;
      metrics?.published.inc(group.length);
      // If this write fails, the lease runs out and the rows are published again: the same
      // job ids, so BullMQ keeps one job each (see README, "at least once").
      await markPublished(ids);
    }
    return result;
  }

  async function drain(): Promise<BatchResult> {
    const total: BatchResult = { claimed: 0, published: 0, failed: 0 };
    for (;;) {
      const r = await relayBatch();
      total.claimed += r.claimed;
      total.published += r.published;
      total.failed += r.failed;
      if (r.claimed < batchSize || r.failed > 0 || stopping) return total;
    }
  }

  async function prune(): Promise<number> {
    if (retentionMs <= 0) return 0;
    let deleted = 0;
    for (;;) {
      // Batches keep each DELETE short; SKIP LOCKED lets two replicas prune at once.
      const old = db
        .select({ id: table.id })
        .from(table)
        .where(
          and(
            isNotNull(table.publishedAt),
            lt(table.publishedAt, sql`now() - ${millis(retentionMs)}`),
          ),
        )
        .limit(PRUNE_BATCH)
        .for('update', { skipLocked: true });
      const rows = await db.delete(table).where(inArray(table.id, old)).returning({ id: table.id });
      deleted += rows.length;
      if (rows.length < PRUNE_BATCH) return deleted;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopping = false;
  let lastPrune = 0;

  async function tick(): Promise<void> {
    try {
      const r = await drain();
      if (r.published > 0) log.info({ published: r.published }, 'outbox events published');
      if (Date.now() - lastPrune >= pruneEveryMs) {
        lastPrune = Date.now();
        const pruned = await prune();
        if (pruned > 0) log.info({ pruned }, 'outbox pruned');
      }
    } catch (err) {
      // Postgres away, most likely: try again next tick. Nothing is lost, the rows wait.
      log.error({ err }, 'outbox relay failed');
    }
  }

  function schedule() {
    if (stopping) return;
    // unref: the timer alone never keeps the process alive.
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = null;
        schedule();
      });
    }, intervalMs).unref();
  }

  return {
    start() {
      if (timer || running || stopping) return;
      schedule();
    },
    relayBatch,
    drain,
    prune,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      // A batch in flight finishes (bounded by publishTimeoutMs) before its pool is closed.
      await running;
      // The connection first: a queue still waiting for Redis to come back gives up then,
      // so close() cannot hang on a Redis that is down.
      await closeRedis(connection);
      await Promise.all([...queues.values()].map((q) => q.close().catch(() => {})));
    },
  };
}
