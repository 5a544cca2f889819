// Single-flight: concurrent misses for one key in one process share one load. A flight can
// be "detached" by an invalidation: its current waiters still get its result, but new callers
// start a fresh flight, and the detached flight must not fill the local tier.

export interface Flight<T> {
  promise: Promise<T>;
  /** Set when the key was invalidated while this flight ran; its result is not cached locally. */
  invalidated: boolean;
}

export class SingleFlight {
  readonly #flights = new Map<string, Flight<unknown>>();

  /** Joins the flight for key, or starts one with run(flight). */
  run<T>(key: string, run: (flight: Flight<T>) => Promise<T>): Promise<T> {
    const existing = this.#flights.get(key) as Flight<T> | undefined;
    if (existing) return existing.promise;
    const flight = { invalidated: false } as Flight<T>;
    flight.promise = run(flight).finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    this.#flights.set(key, flight as Flight<unknown>);
    return flight.promise;
  }

  /** Marks the key's flight as stale and detaches it, so later callers load afresh. */
  invalidate(key: string): void {
    const flight = this.#flights.get(key);
    if (!flight) return;
    flight.invalidated = true;
    this.#flights.delete(key);
  }

  invalidateAll(): void {
    for (const flight of this.#flights.values()) flight.invalidated = true;
    this.#flights.clear();
  }
}
