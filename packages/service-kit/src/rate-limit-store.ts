// A @fastify/rate-limit store that counts in Redis (one budget per client across every
// replica) without a Redis round trip on every request. Each Redis counter value is a ticket
// number; an instance takes a block of tickets with one INCRBY (a lease) and hands them out
// locally. A request is admitted when its ticket is <= max. Tickets are unique across
// instances, so together they never admit more than `max` per window; the price is that
// tickets another instance holds but does not use are lost, so a client spreading requests
// over N instances may be refused up to (N - 1) × (lease - 1) requests early.
// Leases start at one ticket and double per lease up to the cap (like TCP slow start): a
// client making a few requests is counted exactly, a busy one costs Redis one call per
// `cap` requests. The cap comes from the limit (max / 20), so tight limits such as login
// budgets stay exact. Once a ticket is over the limit, every later ticket in the window is
// too: the instance then refuses locally until the window ends, so a flood costs Redis one
// call per instance per window. Hand-written because it is the concept being taught; see
// docs/rate-limiting.md#leased-counters.
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

// INCRBY, then the window's remaining time; the first lease of a window starts the window.
// PTTL < 0 also covers a key that somehow lost its expiry: it gets one rather than living on.
const LEASE_SCRIPT = `
local ticket = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {ticket, ttl}
`;

export interface LeasedStoreOptions {
  redis: Redis;
  /** Key prefix, e.g. `meridian:ratelimit:catalog:`. */
  prefix: string;
  /** Most tickets one lease may take; 1 makes every request a Redis call (exact counting). */
  leaseMax: number;
  /** The share of the limit one lease may take at most: cap = max(1, floor(max × share)). */
  leaseShare?: number;
}

interface KeyState {
  /** The next ticket to hand out and the last one of the current block. */
  next: number;
  last: number;
  /** Size of the next lease. */
  size: number;
  /** Date.now() when the window (and every ticket of it) ends. */
  expiresAt: number;
  /** Over the limit: refuse without asking Redis until expiresAt. */
  exhausted: boolean;
  /** A lease in flight; concurrent requests for the key wait for it instead of leasing too. */
  pending: Promise<void> | null;
}

interface LeaseRedis {
  rateLimitLease(key: string, size: number, windowMs: number): Promise<[number, number]>;
}

export class LeasedRedisStore implements FastifyRateLimitStore {
  readonly #redis: Redis & LeaseRedis;
  readonly #prefix: string;
  readonly #opts: LeasedStoreOptions;
  readonly #keys: Map<string, KeyState>;
  #nextSweep = 0;

  constructor(opts: LeasedStoreOptions, keys = new Map<string, KeyState>()) {
    this.#opts = opts;
    this.#prefix = opts.prefix;
    this.#keys = keys;
    const redis = opts.redis as Redis & Partial<LeaseRedis>;
    if (typeof redis.rateLimitLease !== 'function') {
      redis.defineCommand('rateLimitLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    }
    this.#redis = redis as Redis & LeaseRedis;
  }

  incr(...[key, cb, timeWindow, max]: Parameters<FastifyRateLimitStore['incr']>): void {
    this.#take(this.#prefix + key, timeWindow, max).then(
      (res) => cb(null, res),
      (err: Error) => cb(err),
    );
  }

  /** Per-route and createRateLimit() limiters: their own keys, their own local state. */
  // @fastify/rate-limit passes its merged params, with `routeInfo` (the route, or {} for
  // createRateLimit) rather than what its type declares.
  child(params: object): LeasedRedisStore {
    const { method, url } =
      (params as { routeInfo?: { method?: string; url?: string } }).routeInfo ?? {};
    const suffix = method && url ? `${method}${url}-` : '';
    return new LeasedRedisStore({ ...this.#opts, prefix: this.#prefix + suffix });
  }

  async #take(key: string, windowMs: number, max: number) {
    for (;;) {
      const now = Date.now();
      let state = this.#keys.get(key);
      if (state !== undefined && now >= state.expiresAt && state.pending === null) {
        this.#keys.delete(key);
        state = undefined;
      }
      if (state?.exhausted) return { current: max + 1, ttl: state.expiresAt - now };
      if (state !== undefined && state.next <= state.last) {
        const ticket = state.next++;
        if (ticket > max) state.exhausted = true;
        return { current: ticket, ttl: state.expiresAt - now };
      }
      if (state?.pending) {
        await state.pending;
        continue;
      }
      await this.#lease(key, state, windowMs, max);
    }
  }

  #lease(key: string, prior: KeyState | undefined, windowMs: number, max: number) {
    const cap = Math.max(
      1,
      Math.min(this.#opts.leaseMax, Math.floor(max * (this.#opts.leaseShare ?? 0.05))),
    );
    const size = Math.min(prior?.size ?? 1, cap);
    const state: KeyState = prior ?? {
      next: 1,
      last: 0,
      size,
      expiresAt: 0,
      exhausted: false,
      pending: null,
    };
    if (prior === undefined) {
      this.#sweep();
      this.#keys.set(key, state);
    }
    const started = Date.now();
    state.pending = this.#redis.rateLimitLease(key, size, windowMs).then(
      ([last, ttl]) => {
        state.pending = null;
        state.next = last - size + 1;
        state.last = last;
        state.size = Math.min(size * 2, cap);
        state.expiresAt = started + ttl;
      },
      (err: unknown) => {
        state.pending = null;
        // Nothing leased: forget the key so the next request asks Redis again.
        if (state.last === 0) this.#keys.delete(key);
        throw err;
      },
    );
    return state.pending;
  }

  // Drops the state of windows that have ended, at most once per second, so the map holds
  // roughly the clients seen in the current window (as Redis does) however many come and go.
  #sweep() {
    const now = Date.now();
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + 1_000;
    for (const [key, state] of this.#keys) {
      if (state.pending === null && now >= state.expiresAt) this.#keys.delete(key);
    }
  }
}

/** The store class @fastify/rate-limit's `store` option wants (it calls `new Store(params)`). */
export function leasedRedisStore(opts: LeasedStoreOptions) {
  return class extends LeasedRedisStore {
    constructor() {
      super(opts);
    }
  };
}
