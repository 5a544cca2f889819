// The small pieces on their own: LRU order and TTL, jitter bounds, single-flight sharing.
import { describe, expect, it } from 'vitest';
import { jitteredTtl } from '../src/jitter.ts';
import { LocalLru } from '../src/local-lru.ts';
import { SingleFlight } from '../src/single-flight.ts';

describe('LocalLru', () => {
  it('evicts the least recently used key when full', () => {
    const lru = new LocalLru<number>(2, 60_000);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a'); // a is now the most recent
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toEqual({ value: 1 });
    expect(lru.get('c')).toEqual({ value: 3 });
  });

  it('forgets an entry once its TTL has passed', () => {
    let now = 1_000;
    const lru = new LocalLru<string>(10, 100, () => now);
    lru.set('k', 'v');
    now += 99;
    expect(lru.get('k')).toEqual({ value: 'v' });
    now += 1;
    expect(lru.get('k')).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});

describe('jitteredTtl', () => {
  it('stays within ttl × (1 ± jitter), reaching both ends', () => {
    expect(jitteredTtl(10_000, 0.1, () => 0)).toBe(9_000);
    expect(jitteredTtl(10_000, 0.1, () => 1)).toBe(11_000);
    const samples = Array.from({ length: 1_000 }, () => jitteredTtl(10_000, 0.2));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(8_000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(12_000);
    expect(new Set(samples).size).toBeGreaterThan(100);
  });

  it('with jitter 0, is the ttl itself', () => {
    expect(jitteredTtl(5_000, 0)).toBe(5_000);
  });
});

describe('SingleFlight', () => {
  it('gives concurrent callers one run; after an invalidation, a new caller runs again', async () => {
    const flights = new SingleFlight();
    let runs = 0;
    const run = async () => {
      const mine = ++runs;
      await new Promise((r) => setTimeout(r, 20));
      return mine;
    };
    const first = await Promise.all([flights.run('k', run), flights.run('k', run)]);
    expect(first).toEqual([1, 1]);

    const a = flights.run('k', run);
    flights.invalidate('k');
    const b = flights.run('k', run);
    expect(await Promise.all([a, b])).toEqual([2, 3]);
  });
});
