// Tier 1: a tiny in-process LRU with a per-entry TTL, built on Map's insertion order.
// Hand-written rather than lru-cache so a reader sees the whole mechanism in 50 lines;
// see ../README.md#tier-1-in-process-lru.

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class LocalLru<V = unknown> {
  readonly #entries = new Map<string, Entry<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The live entry, or undefined. A hit moves the key to the "recently used" end. */
  get(key: string): { value: V } | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Map keeps insertion order: delete + set moves the key to the end (most recent).
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return { value: entry.value };
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    // The first key in iteration order is the least recently used one.
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
