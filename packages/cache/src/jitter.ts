// TTL jitter: keys written together (a warm-up, a deploy) must not all expire in the same
// millisecond and send their reloads to the database at once.

/** ttlMs scaled by a random factor in [1 - jitter, 1 + jitter], at least 1 ms. */
export function jitteredTtl(ttlMs: number, jitter: number, random: () => number = Math.random) {
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(1, Math.round(ttlMs * factor));
}
