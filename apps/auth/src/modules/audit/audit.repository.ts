// The audit log: append in the caller's transaction, read newest first.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type AuditRow, auditLog } from '../../db/schema/index.ts';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  targetUserId?: string | null;
  details?: Record<string, unknown>;
}

export async function appendAudit(db: DbOrTx, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actorId: entry.actorId,
    action: entry.action,
    targetUserId: entry.targetUserId ?? null,
    details: entry.details ?? {},
  });
}

export async function findAudit(
  db: DbOrTx,
  opts: { limit: number; before?: number; targetUserId?: string },
): Promise<AuditRow[]> {
  const where: SQL[] = [];
  if (opts.before !== undefined) where.push(lt(auditLog.id, opts.before));
  if (opts.targetUserId) where.push(eq(auditLog.targetUserId, opts.targetUserId));
  return db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(opts.limit);
}
