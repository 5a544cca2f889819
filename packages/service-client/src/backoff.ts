// How long to wait before a retry: exponential backoff with full jitter, or what the callee
// asked for in Retry-After. Why jitter: docs/fault-isolation.md#backoff-with-full-jitter.

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform random
 * wait in [0, min(max, base · 2^(retry−1))). `retry` is 1 for the first retry.
 */
export function backoffDelay(
  retry: number,
  { baseDelayMs, maxDelayMs }: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds: delay-seconds or an HTTP-date.
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  // Every HTTP-date form starts with the day's name; Date.parse alone would read '-1' as a year.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
