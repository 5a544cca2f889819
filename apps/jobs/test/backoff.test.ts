// The retry-delay formula and the dead-letter id rules, as plain functions.
import { describe, expect, it } from 'vitest';
import { jitteredDelay } from '../src/queues/backoff.ts';
import { deadLetterId, requestIdOf, retryJobId } from '../src/queues/dead-letters.queue.ts';

describe('jitteredDelay', () => {
  it('is the exponential step when the jitter draws 0, and just under two steps at 1', () => {
    expect([1, 2, 3, 4].map((n) => jitteredDelay(n, 1_000, 60_000, () => 0))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect([1, 2, 3].map((n) => jitteredDelay(n, 1_000, 60_000, () => 0.999))).toEqual([
      1_999, 3_998, 7_996,
    ]);
  });

  it('never exceeds the cap', () => {
    expect(jitteredDelay(20, 1_000, 300_000, () => 0.5)).toBe(300_000);
  });

  it('spreads a herd: 1,000 jobs failing together do not come back together', () => {
    const delays = Array.from({ length: 1_000 }, () => jitteredDelay(3, 1_000, 60_000));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(4_000);
    expect(Math.max(...delays)).toBeLessThan(8_000);
    expect(new Set(delays).size).toBeGreaterThan(500);
  });
});

describe('dead-letter ids', () => {
  it('joins queue and job id with a dot (BullMQ refuses ":" in custom ids)', () => {
    expect(deadLetterId('order-events', 'abc')).toBe('order-events.abc');
  });

  it('numbers retries from the original id, so each retry gets an id of its own', () => {
    expect(retryJobId('abc')).toBe('abc.retry-1');
    expect(retryJobId('abc.retry-1')).toBe('abc.retry-2');
    expect(retryJobId('abc.retry-9')).toBe('abc.retry-10');
  });

  it('finds the request id at the top of the payload or under meta', () => {
    expect(requestIdOf({ requestId: 'r1' })).toBe('r1');
    expect(requestIdOf({ meta: { requestId: 'r2' } })).toBe('r2');
    expect(requestIdOf({ eventId: 'x' })).toBeUndefined();
    expect(requestIdOf('nope')).toBeUndefined();
  });
});
