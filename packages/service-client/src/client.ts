// One client per callee: JSON over fetch with a timeout on every attempt, bounded retries
// for idempotent calls, a circuit breaker (opossum) around each attempt, the caller's
// service token, and failures as typed errors. Why each piece: docs/fault-isolation.md.
import { setTimeout as sleep } from 'node:timers/promises';
import CircuitBreaker from 'opossum';
import type { Registry } from 'prom-client';
import { backoffDelay, parseRetryAfter } from './backoff.ts';
import { ServiceCallError, ServiceUnavailableError, type UnavailableReason } from './errors.ts';
import { type BreakerState, createServiceClientMetrics } from './metrics.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RetryOptions {
  /** Attempts in all, the first included; only idempotent calls get more than one. */
  attempts: number;
  /** Ceiling of the first retry's random wait; it doubles per retry up to maxDelayMs. */
  baseDelayMs: number;
  /** Longest wait between two attempts, and the longest Retry-After we are willing to honour. */
  maxDelayMs: number;
}

export interface BreakerOptions {
  /** Opens when more than this share (%) of the attempts in the window failed… */
  errorThresholdPercentage: number;
  /** …and the window holds at least this many attempts. */
  volumeThreshold: number;
  /** Open for this long, then half-open: one trial attempt decides. */
  resetTimeoutMs: number;
  /** Length of the rolling window the percentage is computed over. */
  rollingCountTimeoutMs: number;
  /** Slices of that window; the oldest slice drops out every window/buckets ms. */
  rollingCountBuckets: number;
}

export const DEFAULT_RETRIES: Readonly<RetryOptions> = {
  attempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
};

export const DEFAULT_BREAKER: Readonly<BreakerOptions> = {
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  resetTimeoutMs: 10_000,
  rollingCountTimeoutMs: 10_000,
  rollingCountBuckets: 10,
};

export interface ServiceClientOptions {
  /** The callee, e.g. 'catalog': in metrics, error details and the breaker's name. */
  name: string;
  /** e.g. http://127.0.0.1:3002; request paths are appended to it. */
  baseUrl: string | URL;
  /** Time allowed for one attempt, from sending to the last byte of the body. Required. */
  timeoutMs: number;
  retries?: Partial<RetryOptions>;
  breaker?: Partial<BreakerOptions>;
  /** The caller's access token, e.g. `() => tokens.getToken()` (ServiceTokenSource). */
  token?: () => Promise<string>;
  /**
   * Called once when the callee answers 401, before one more attempt with a fresh token,
   * e.g. `() => tokens.invalidate()`. Without it a 401 is not retried (the same cached token
   * would be refused again).
   */
  onUnauthorized?: () => void | Promise<void>;
  /** Headers for every request, read per call, e.g. `() => ({ 'x-request-id': id })`. */
  headers?: () => Record<string, string>;
  /** The service's prom-client registry; no metrics when omitted. */
  registry?: Registry;
}

export type QueryValue = string | number | boolean | undefined | readonly (string | number)[];

export interface ServiceRequest {
  method: HttpMethod;
  /** Starts with '/', e.g. `/v1/inventory/reservations`. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  query?: Record<string, QueryValue>;
  /**
   * The caller vouches that repeating this request cannot do twice what it asks, e.g. a
   * reservation with the same reservation key, a GET, a confirm. Only then is it retried.
   */
  idempotent: boolean;
  /** Statuses returned as a value rather than thrown. Default: any 2xx. 5xx never count. */
  expectedStatus?: readonly number[];
  /** The caller's own cancellation or overall deadline, combined with the per-attempt timeout. */
  signal?: AbortSignal;
  /** Extra headers for this request only. */
  headers?: Record<string, string>;
}

export interface ServiceResponse<T> {
  status: number;
  /** The parsed JSON body, trusted to be T (validate it when that matters); undefined if empty. */
  body: T;
  headers: Headers;
}

export interface ServiceClient {
  readonly name: string;
  /** The breaker's state now. */
  readonly breakerState: BreakerState;
  request<T>(req: ServiceRequest): Promise<ServiceResponse<T>>;
  /** Shuts the breaker down (its timers included); later requests reject. */
  close(): void;
}

/** Gateway and overload answers: the request most likely never ran, so trying again can help. */
const RETRYABLE_5XX = new Set([502, 503, 504]);
const ACCEPT = 'application/json, application/problem+json;q=0.9';

interface Exchange {
  status: number;
  headers: Headers;
  text: string;
}

type FailureKind = 'timeout' | 'network' | 'server' | 'aborted';

/** An attempt that failed in a way the breaker should hear about (or, for aborted, not). */
class AttemptFailure extends Error {
  readonly kind: FailureKind;
  readonly exchange: Exchange | undefined;
  constructor(kind: FailureKind, message: string, exchange?: Exchange, cause?: unknown) {
    super(message, { cause });
    this.name = 'AttemptFailure';
    this.kind = kind;
    this.exchange = exchange;
  }
}

interface AttemptInput {
  url: string;
  init: RequestInit;
  signal: AbortSignal | undefined;
}

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const { name, timeoutMs } = options;
  const base = new URL(options.baseUrl).href.replace(/\/+$/, '');
  const retries: RetryOptions = { ...DEFAULT_RETRIES, ...options.retries };
  const breakerOpts: BreakerOptions = { ...DEFAULT_BREAKER, ...options.breaker };
  if (!(timeoutMs > 0)) throw new RangeError(`${name}: timeoutMs must be positive`);
  if (!Number.isInteger(retries.attempts) || retries.attempts < 1) {
    throw new RangeError(`${name}: retries.attempts must be an integer >= 1`);
  }
  const metrics = createServiceClientMetrics(name, options.registry);

  // The breaker's action: one attempt. It resolves for every answer below 500 (the callee
  // worked, even if it said no) and rejects for what says the callee is in trouble.
  const attempt = async ({ url, init, signal: callerSignal }: AttemptInput): Promise<Exchange> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
    const done = metrics.startAttempt();
    try {
      const res = await fetch(url, { ...init, signal });
      // The body is read under the same signal: a callee that sends headers and then stalls
      // is as slow as one that never answers.
      const exchange = { status: res.status, headers: res.headers, text: await res.text() };
      if (res.status >= 500) {
        throw new AttemptFailure('server', `${name} answered ${res.status}`, exchange);
      }
      return exchange;
    } catch (err) {
      if (err instanceof AttemptFailure) throw err;
      if (callerSignal?.aborted) {
        throw new AttemptFailure(
          'aborted',
          'aborted by the caller',
          undefined,
          callerSignal.reason,
        );
      }
      if (timeout.aborted) {
        throw new AttemptFailure(
          'timeout',
          `${name} timed out after ${timeoutMs} ms`,
          undefined,
          err,
        );
      }
      throw new AttemptFailure(
        'network',
        `${name} unreachable: ${networkMessage(err)}`,
        undefined,
        err,
      );
    } finally {
      done();
    }
  };

  const breaker = new CircuitBreaker<[AttemptInput], Exchange>(attempt, {
    name: `service-client:${name}`,
    // Our own AbortSignal times each attempt and really cancels it; opossum's timer would
    // only stop waiting and leave the request running.
    timeout: false,
    errorThresholdPercentage: breakerOpts.errorThresholdPercentage,
    volumeThreshold: breakerOpts.volumeThreshold,
    resetTimeout: breakerOpts.resetTimeoutMs,
    rollingCountTimeout: breakerOpts.rollingCountTimeoutMs,
    rollingCountBuckets: breakerOpts.rollingCountBuckets,
    // Our caller giving up says nothing about the callee's health.
    errorFilter: (err) => err instanceof AttemptFailure && err.kind === 'aborted',
    enableSnapshots: false,
    rollingPercentilesEnabled: false,
  });
  let openedAt = 0;
  breaker.on('open', () => {
    openedAt = Date.now();
    metrics.breakerState('open');
  });
  breaker.on('halfOpen', () => metrics.breakerState('half-open'));
  breaker.on('close', () => metrics.breakerState('closed'));

  const secondsUntilHalfOpen = () => (breakerOpts.resetTimeoutMs - (Date.now() - openedAt)) / 1_000;

  /** The wait before the next attempt, or undefined to give up now. */
  const nextDelay = (retry: number, retryAfterMs: number | undefined) => {
    if (retryAfterMs === undefined) return backoffDelay(retry, retries);
    // Retrying sooner than the callee asked only adds load; waiting longer than we allow
    // only holds our own caller. So: honour it, or stop.
    return retryAfterMs <= retries.maxDelayMs ? retryAfterMs : undefined;
  };

  const pause = async (ms: number, signal: AbortSignal | undefined) => {
    // An open breaker would refuse the next attempt anyway: no point waiting for that.
    if (ms <= 0 || breaker.opened) return;
    try {
      await sleep(ms, undefined, { signal });
    } catch (err) {
      throw signal?.reason ?? err;
    }
  };

  async function request<T>(req: ServiceRequest): Promise<ServiceResponse<T>> {
    const { method, path, signal } = req;
    const url = buildUrl(base, path, req.query);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const fixedHeaders: Record<string, string> = {
      accept: ACCEPT,
      ...options.headers?.(),
      ...req.headers,
    };
    if (body !== undefined) fixedHeaders['content-type'] = 'application/json';
    const maxAttempts = req.idempotent ? retries.attempts : 1;
    let tries = 0; // counted against maxAttempts
    let sent = 0; // reported in errors, the 401 replay included
    let reauthenticated = false;

    const unavailable = (
      reason: UnavailableReason,
      retryAfterSec: number,
      cause: unknown,
      calleeStatus?: number,
    ) =>
      new ServiceUnavailableError({
        callee: name,
        reason,
        retryAfterSec,
        attempts: sent,
        cause,
        ...(calleeStatus === undefined ? {} : { calleeStatus }),
      });

    for (;;) {
      signal?.throwIfAborted();
      tries++;
      const headers = { ...fixedHeaders };
      // An open breaker refuses the attempt anyway: no token needed (and none fetched from an
      // auth service that may be down too, which would hide the real reason).
      if (options.token && !breaker.opened) {
        try {
          headers.authorization = `Bearer ${await options.token()}`;
        } catch (cause) {
          metrics.attempt(method, 'token_error');
          throw unavailable('token-unavailable', 1, cause);
        }
      }

      let exchange: Exchange;
      try {
        sent++;
        exchange = await breaker.fire({
          url,
          init: { method, headers, body, redirect: 'manual' },
          signal,
        });
      } catch (err) {
        if (CircuitBreaker.isOurError(err as Error)) {
          if ((err as { code?: unknown }).code === 'EOPENBREAKER') {
            metrics.attempt(method, 'breaker_open');
            throw unavailable('breaker-open', secondsUntilHalfOpen(), err);
          }
          throw new Error(`the ${name} service client is closed`, { cause: err });
        }
        if (!(err instanceof AttemptFailure)) throw err;
        if (err.kind === 'aborted') {
          metrics.attempt(method, 'aborted');
          throw err.cause;
        }
        metrics.attempt(
          method,
          err.kind === 'server'
            ? 'server_error'
            : err.kind === 'timeout'
              ? 'timeout'
              : 'network_error',
        );
        const status = err.exchange?.status;
        const retryAfterMs = parseRetryAfter(err.exchange?.headers.get('retry-after') ?? null);
        const retryable = status === undefined || RETRYABLE_5XX.has(status);
        const delay = retryable && tries < maxAttempts ? nextDelay(tries, retryAfterMs) : undefined;
        if (delay === undefined) {
          const reason =
            err.kind === 'timeout'
              ? 'timeout'
              : err.kind === 'network'
                ? 'network-error'
                : 'server-error';
          throw unavailable(reason, (retryAfterMs ?? 1_000) / 1_000, err, status);
        }
        await pause(delay, signal);
        continue;
      }

      const { status } = exchange;
      metrics.attempt(method, status < 400 ? 'success' : 'client_error');
      const expected = req.expectedStatus?.includes(status) ?? (status >= 200 && status < 300);
      if (expected) {
        return { status, headers: exchange.headers, body: parseBody(name, exchange) as T };
      }
      if (status === 401 && options.onUnauthorized && !reauthenticated) {
        // A 401 is decided before the callee does anything, so one replay is safe even for a
        // call that is not idempotent; it does not use up a retry.
        reauthenticated = true;
        tries--;
        await options.onUnauthorized();
        continue;
      }
      if (status === 429) {
        // The callee is shedding load: our request cannot be served now, whoever sent it.
        const retryAfterMs = parseRetryAfter(exchange.headers.get('retry-after'));
        const delay = tries < maxAttempts ? nextDelay(tries, retryAfterMs) : undefined;
        if (delay === undefined) {
          const cause = new Error(`${name} answered 429`);
          throw unavailable('rate-limited', (retryAfterMs ?? 1_000) / 1_000, cause, 429);
        }
        await pause(delay, signal);
        continue;
      }
      throw new ServiceCallError({
        callee: name,
        method,
        path,
        status,
        body: parseLoosely(exchange),
        headers: exchange.headers,
      });
    }
  }

  return {
    name,
    get breakerState(): BreakerState {
      return breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed';
    },
    request,
    close: () => breaker.shutdown(),
  };
}

/** undici says only "fetch failed"; the code that matters (ECONNREFUSED…) is on its cause. */
function networkMessage(err: unknown): string {
  const { message, cause } = err as { message?: string; cause?: { code?: unknown } };
  return typeof cause?.code === 'string' ? `${message} (${cause.code})` : String(message);
}

function buildUrl(base: string, path: string, query: ServiceRequest['query']): string {
  if (!path.startsWith('/')) throw new TypeError(`path must start with '/': ${path}`);
  const url = new URL(base + path);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
  return url.href;
}

const isJson = (headers: Headers) =>
  /^application\/([\w.-]+\+)?json\b/i.test(headers.get('content-type') ?? '');

/** An expected answer: JSON when it says so; malformed JSON is a broken contract, thrown. */
function parseBody(callee: string, { status, headers, text }: Exchange): unknown {
  if (text === '') return undefined;
  if (!isJson(headers)) return text;
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new Error(`${callee} answered ${status} with malformed JSON`, { cause });
  }
}

/** An error answer: whatever can be read of it. */
function parseLoosely({ headers, text }: Exchange): unknown {
  if (text === '' || !isJson(headers)) return text === '' ? undefined : text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
