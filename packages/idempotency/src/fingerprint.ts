// The request fingerprint stored with a key: a retry must be the same request, not merely
// the same key. Canonical JSON (object keys sorted) so that a client re-serializing the same
// body with its keys in another order is still the same request. See docs/idempotency.md.
import { createHash } from 'node:crypto';

export interface FingerprintInput {
  method: string;
  /** The route's URL pattern ('/v1/orders/:id/payments'), not the concrete URL. */
  route: string;
  params: unknown;
  query: unknown;
  /** The parsed body: JSON, a string, a Buffer, or undefined for none. */
  body: unknown;
}

/**
 * JSON with object keys sorted at every depth. Values JSON cannot hold are dropped the way
 * JSON.stringify drops them (undefined and functions in objects), so two bodies that
 * serialize alike fingerprint alike.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  // toJSON first (a Date), as JSON.stringify would.
  const plain = value as { toJSON?: () => unknown };
  if (typeof plain.toJSON === 'function') return sortKeys(plain.toJSON());
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort())
    out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}

/** The body with its kind, so the text "{}" and the JSON object {} differ. */
function bodyPart(body: unknown): { kind: string; value: unknown } {
  if (body === undefined || body === null) return { kind: 'none', value: null };
  if (Buffer.isBuffer(body)) return { kind: 'bytes', value: body.toString('base64') };
  if (typeof body === 'string') return { kind: 'text', value: body };
  return { kind: 'json', value: body };
}

/** Hex SHA-256 over the canonical JSON of method, route, params, query and body. */
export function requestFingerprint(input: FingerprintInput): string {
  const doc = {
    method: input.method.toUpperCase(),
    route: input.route,
    params: input.params ?? {},
    query: input.query ?? {},
    body: bodyPart(input.body),
  };
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}
