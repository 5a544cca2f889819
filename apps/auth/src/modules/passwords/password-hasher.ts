// argon2id through @node-rs/argon2 (a maintained Rust binding). hash and verify run on
// libuv's thread pool, so a login storm queues there instead of blocking the event loop.
// Passwords are NFKC-normalized first (NIST 800-63B), so the same password typed on two
// keyboards hashes the same. See docs/password-storage.md.
import { hash, verify } from '@node-rs/argon2';

export interface HashParams {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

export function createPasswordHasher(params: HashParams) {
  // algorithm 2 = argon2id (the enum is a const enum, unusable under verbatimModuleSyntax).
  const options = { algorithm: 2, outputLen: 32, ...params } as const;
  // Verified against when the email is unknown, so that path costs the same as a real one.
  const dummy = hash('not-a-real-password, only here for timing', options);

  return {
    params,
    hash: (password: string) => hash(password.normalize('NFKC'), options),

    async verify(phc: string, password: string): Promise<boolean> {
      try {
        return await verify(phc, password.normalize('NFKC'));
      } catch {
        return false; // a malformed stored hash must not become a 500 or a login
      }
    },

    /** Burns one verification's worth of time; always false. */
    async verifyDummy(password: string): Promise<false> {
      await verify(await dummy, password.normalize('NFKC')).catch(() => false);
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
