// The relay's metrics, on the service's registry: what it published, what failed, and the
// backlog read from the table at scrape time (the alert to have: oldest pending age rising).
import { count, isNull, min } from 'drizzle-orm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxTable } from './table.ts';
import type { OutboxDb } from './write.ts';

export function registerRelayMetrics(
  registry: Registry,
  outbox: string,
  db: OutboxDb,
  table: OutboxTable,
) {
  const labels = { outbox };
  const published = new Counter({
    name: 'outbox_published_total',
    help: 'Outbox events added to their queue by this relay',
    labelNames: ['outbox'] as const,
    registers: [registry],
  }).labels(labels);
  const failed = new Counter({
    name: 'outbox_publish_failures_total',
    help: 'Outbox events whose publish failed and will be retried',
    labelNames: ['outbox'] as const,
    registers: [registry],
  }).labels(labels);

  let backlog: Promise<{ pending: number; oldestSeconds: number }> | null = null;
  // Both gauges read one query per scrape (the partial pending index keeps it small).
  const readBacklog = () => {
    backlog ??= db
      .select({ pending: count(), oldest: min(table.createdAt) })
      .from(table)
      .where(isNull(table.publishedAt))
      .then(([row]) => ({
        pending: row?.pending ?? 0,
        oldestSeconds: row?.oldest ? (Date.now() - new Date(row.oldest).getTime()) / 1000 : 0,
      }))
      .finally(() => {
        backlog = null;
      });
    return backlog;
  };
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Outbox events not yet published, read at scrape time',
    labelNames: ['outbox'] as const,
    registers: [registry],
    async collect() {
      // A database that is down must not break the whole /metrics page.
      const b = await readBacklog().catch(() => null);
      if (b) this.set(labels, b.pending);
    },
  });
  new Gauge({
    name: 'outbox_oldest_pending_seconds',
    help: 'Age of the oldest unpublished outbox event, read at scrape time',
    labelNames: ['outbox'] as const,
    registers: [registry],
    async collect() {
      const b = await readBacklog().catch(() => null);
      if (b) this.set(labels, b.oldestSeconds);
    },
  });
  return { published, failed };
}
