// argon2id through @node-rs/argon2 (a maintained Rust binding). hash and verify run on
// libuv's thread pool, so a login storm queues there instead of blocking the event loop —
// but no more of them at once than there are cores: four hashing threads on one core starve
// the event loop of CPU just as surely as hashing on it would (docs/performance.md).
// Passwords are NFKC-normalized first (NIST 800-63B), so the same password typed on two
// keyboards hashes the same. See docs/password-storage.md.
import { availableParallelism } from 'node:os';
import { AppError } from '@meridian/errors';
import { hash, verify } from '@node-rs/argon2';

export interface HashParams {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/**
 * Thrown when the queue is full: shed the request now (503, retry in a second) rather than
 * answer it after the client has given up, with the CPU already spent.
 */
export class HasherBusyError extends AppError {
  constructor() {
    super({
      status: 503,
      code: 'auth-busy',
      detail: 'Too many logins are being checked right now; retry in a second.',
      headers: { 'retry-after': '1' },
    });
  }
}

/**
 * At most `limit` of the wrapped calls run at once; the rest wait in order, up to
 * `maxWaiting` of them — past that a call fails at once with HasherBusyError.
 */
export function limiter(limit: number, maxWaiting = Number.POSITIVE_INFINITY) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= limit) {
      if (waiting.length >= maxWaiting) throw new HasherBusyError();
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

export function createPasswordHasher(params: HashParams, concurrency = 0, maxQueued = 256) {
  // algorithm 2 = argon2id (the enum is a const enum, unusable under verbatimModuleSyntax).
  const options = { algorithm: 2, outputLen: 32, ...params } as const;
  // availableParallelism honours CPU affinity (taskset, container CPU sets) on Linux.
  const slot = limiter(concurrency > 0 ? concurrency : availableParallelism(), maxQueued);
  // Verified against when the email is unknown, so that path costs the same as a real one.
  const dummy = hash('not-a-real-password, only here for timing', options);

  return {
    params,
    hash: (password: string) => slot(() => hash(password.normalize('NFKC'), options)),

    async verify(phc: string, password: string): Promise<boolean> {
      try {
        return await slot(() => verify(phc, password.normalize('NFKC')));
      } catch (err) {
        if (err instanceof HasherBusyError) throw err;
        return false; // a malformed stored hash must not become a 500 or a login
      }
    },

    /** Burns one verification's worth of time; always false. */
    async verifyDummy(password: string): Promise<false> {
      const phc = await dummy;
      await slot(() => verify(phc, password.normalize('NFKC'))).catch((err: unknown) => {
        if (err instanceof HasherBusyError) throw err;
      });
      return false;
    },

    /** True when the stored hash used other parameters (or another algorithm). */
    needsRehash(phc: string): boolean {
      const m = PHC.exec(phc);
      if (!m) return true;
      return (
        Number(m[1]) !== params.memoryCost ||
        Number(m[2]) !== params.timeCost ||
        Number(m[3]) !== params.parallelism
      );
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
