// The password hasher: argon2id PHC strings, rehash detection, and no more hashes at once
// than the cores allow.
import { describe, expect, it } from 'vitest';
import {
  createPasswordHasher,
  HasherBusyError,
  limiter,
} from '../src/modules/passwords/password-hasher.ts';

describe('password hasher', () => {
  it('makes argon2id PHC strings with the configured parameters, and verifies them', async () => {
    const hasher = createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
    const phc = await hasher.hash('correct horse battery staple');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    expect(await hasher.verify(phc, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(phc, 'correct horse battery stapl')).toBe(false);
    expect(await hasher.verify('not a hash', 'x')).toBe(false); // never a throw
    expect(hasher.needsRehash(phc)).toBe(false);
    expect(
      createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 }).needsRehash(phc),
    ).toBe(true);
  });

  it('normalizes Unicode (NFKC): the same password typed two ways verifies', async () => {
    const hasher = createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
    const composed = 'caf\u00e9 au lait, s\u2019il vous pla\u00eet';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await hasher.verify(await hasher.hash(composed), decomposed)).toBe(true);
  });
});

describe('limiter', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order', async () => {
    const slot = limiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const release: (() => void)[] = [];
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      slot(async () => {
        running += 1;
        peak = Math.max(peak, running);
        started.push(i);
        await new Promise<void>((resolve) => release.push(resolve));
        running -= 1;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    while (release.length) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });

  it('frees the slot when a task fails', async () => {
    const slot = limiter(1);
    await expect(slot(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slot(async () => 'next')).toBe('next');
  });
});

describe('load shedding', () => {
  it('a full queue refuses at once with 503 auth-busy instead of waiting', async () => {
    const slot = limiter(1, 1);
    let release: () => void = () => {};
    const first = slot(() => new Promise<void>((r) => (release = r)));
    const second = slot(async () => 'queued');
    await expect(slot(async () => 'third')).rejects.toBeInstanceOf(HasherBusyError);
    await expect(slot(async () => 'third')).rejects.toMatchObject({
      statusCode: 503,
      code: 'auth-busy',
    });
    release();
    await first;
    expect(await second).toBe('queued');
  });

  it('over HTTP: a login storm past the queue gets 503 with Retry-After, the rest succeed', async () => {
    const { createAuthApp, register, PASSWORD } = await import('./helpers.ts');
    const t = await createAuthApp({
      AUTH_HASH_CONCURRENCY: '1',
      AUTH_HASH_QUEUE_MAX: '2',
      AUTH_HASH_MEMORY_KIB: '19456',
      AUTH_HASH_ITERATIONS: '2',
    });
    try {
      const { email } = await register(t.app);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.app.inject({
            method: 'POST',
            url: '/v1/auth/token',
            payload: { grant_type: 'password', username: email, password: PASSWORD },
          }),
        ),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
      const busy = results.filter((r) => r.statusCode === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0]?.json().type).toBe('urn:meridian:problem:auth-busy');
      expect(busy[0]?.headers['retry-after']).toBe('1');
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    } finally {
      await t.close();
    }
  });
});
