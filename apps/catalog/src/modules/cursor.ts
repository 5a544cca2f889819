// Opaque keyset cursors, shared by catalog's paged reads (products, search): base64url JSON
// the client hands back unchanged. Decoding is strict — the string must be exactly what
// encodeCursor produces for those fields — so a hand-edited, padded or extended cursor is a
// 400 before any of its values reach a query. Each caller still checks its own fields.
import { AppError } from '@meridian/errors';

export const badCursor = (detail = 'The cursor is not one this API issued.') =>
  new AppError({ status: 400, code: 'invalid-cursor', detail });

export function encodeCursor(fields: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/** The cursor's fields (values still unchecked), or a 400: not JSON, other keys, not canonical. */
export function decodeCursor<K extends string>(
  cursor: string,
  keys: readonly K[],
): Record<K, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badCursor();
  const record = parsed as Record<string, unknown>;
  const fields = Object.fromEntries(keys.map((k) => [k, record[k]])) as Record<K, unknown>;
  // Re-encoding must give back the very string sent: no extra keys, padding or stray bytes.
  if (Object.keys(record).length !== keys.length || encodeCursor(fields) !== cursor) {
    throw badCursor();
  }
  return fields;
}
