// The retry delay on its own: full jitter within a doubling ceiling, and Retry-After parsing.
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../src/index.ts';

const opts = { baseDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per retry, capped at maxDelayMs', () => {
    const top = () => 0.999_999;
    expect(backoffDelay(1, opts, top)).toBe(99);
    expect(backoffDelay(2, opts, top)).toBe(199);
    expect(backoffDelay(4, opts, top)).toBe(799);
    expect(backoffDelay(5, opts, top)).toBe(999);
    expect(backoffDelay(30, opts, top)).toBe(999);
  });

  it('jitters over the whole range, down to zero', () => {
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
    const samples = Array.from({ length: 500 }, () => backoffDelay(3, opts));
    expect(Math.min(...samples)).toBeLessThan(100);
    expect(Math.max(...samples)).toBeGreaterThan(300);
    expect(Math.max(...samples)).toBeLessThan(400);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates; ignores what it cannot read', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});
