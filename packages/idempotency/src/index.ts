// Idempotency keys for unsafe POSTs (draft-ietf-httpapi-idempotency-key-header): the table,
// the route hooks, the fingerprint and the prune. See README.md and docs/idempotency.md.
export {
  IDEMPOTENCY_KEY_HEADER,
  keyInFlight,
  keyInvalid,
  keyRequired,
  keyReused,
  MAX_KEY_LENGTH,
  REPLAYED_HEADER,
} from './errors.ts';
export { canonicalJson, type FingerprintInput, requestFingerprint } from './fingerprint.ts';
export {
  type IdempotencyHooks,
  type IdempotencyOptions,
  idempotency,
} from './idempotency.ts';
export { parseIdempotencyKey } from './key.ts';
export { OUTCOMES, type Outcome } from './metrics.ts';
export { type IdempotencyDb, type PruneOptions, pruneIdempotencyKeys } from './store.ts';
export {
  type IdempotencyRow,
  type IdempotencyTable,
  idempotencyTable,
  KEY_STATES,
  type KeyState,
  type StoredHeaders,
} from './table.ts';
