// What a failed call to another service throws. "The callee is away" is a 503 AppError the
// problem+json handler renders as is; "the callee said no" is a ServiceCallError the caller
// must map, because the callee's 4xx is about our request, not the end user's.
import { AppError, type ProblemDocument } from '@meridian/errors';

/** Why the callee counts as unavailable. */
export type UnavailableReason =
  | 'timeout'
  | 'network-error'
  | 'server-error'
  | 'breaker-open'
  | 'rate-limited'
  | 'token-unavailable';

const DETAILS: Record<UnavailableReason, string> = {
  timeout: 'did not answer in time',
  'network-error': 'could not be reached',
  'server-error': 'failed to answer',
  'breaker-open': 'is failing and is not being called for a while',
  'rate-limited': 'is refusing more requests for now',
  'token-unavailable': 'cannot be called: no service token could be obtained',
};

export interface ServiceUnavailableErrorOptions {
  callee: string;
  reason: UnavailableReason;
  /** Seconds to send in Retry-After; at least 1. */
  retryAfterSec: number;
  /** The callee's last HTTP status, when it answered at all. */
  calleeStatus?: number;
  /** How many attempts reached the breaker before giving up. */
  attempts: number;
  cause?: unknown;
}

/**
 * The callee is down, slow, failing or shielded by an open breaker: our request cannot be
 * served now, whoever made it. 503 `dependency-unavailable` with Retry-After, so clients and
 * load balancers back off instead of hammering a service that is already struggling.
 */
export class ServiceUnavailableError extends AppError {
  readonly callee: string;
  readonly reason: UnavailableReason;
  readonly retryAfterSec: number;
  readonly calleeStatus: number | undefined;
  readonly attempts: number;

  constructor(opts: ServiceUnavailableErrorOptions) {
    const retryAfterSec = Math.max(1, Math.ceil(opts.retryAfterSec));
    super({
      status: 503,
      code: 'dependency-unavailable',
      detail: `The ${opts.callee} service ${DETAILS[opts.reason]}; try again shortly.`,
      extensions: { dependency: opts.callee },
      headers: { 'retry-after': String(retryAfterSec) },
      cause: opts.cause,
    });
    this.name = 'ServiceUnavailableError';
    this.callee = opts.callee;
    this.reason = opts.reason;
    this.retryAfterSec = retryAfterSec;
    this.calleeStatus = opts.calleeStatus;
    this.attempts = opts.attempts;
  }
}

/** The callee's problem document, as far as it sent one (nothing in it is guaranteed). */
export type CalleeProblem = Partial<ProblemDocument> & Record<string, unknown>;

export interface ServiceCallErrorOptions {
  callee: string;
  method: string;
  path: string;
  status: number;
  body: unknown;
  headers: Headers;
}

/**
 * The callee answered, with a status the caller did not list as expected (a 4xx, or a 3xx).
 * Deliberately not an AppError and without `statusCode`: left unmapped, it becomes a masked,
 * logged 500, never the callee's 409 or 400 leaking to our own client as if it were ours.
 * Map the codes you expect: `if (err.problem?.code === 'insufficient-stock') throw conflict(…)`.
 */
export class ServiceCallError extends Error {
  readonly callee: string;
  readonly method: string;
  readonly path: string;
  /** The callee's HTTP status. */
  readonly status: number;
  /** The parsed problem+json body, when the callee sent one. */
  readonly problem: CalleeProblem | undefined;
  /** The parsed body (JSON when it said so, else text), whatever its type. */
  readonly body: unknown;
  readonly headers: Headers;

  constructor(opts: ServiceCallErrorOptions) {
    const problem = isProblem(opts.body, opts.headers) ? opts.body : undefined;
    const code = typeof problem?.code === 'string' ? ` (${problem.code})` : '';
    super(`${opts.callee} answered ${opts.method} ${opts.path} with ${opts.status}${code}`);
    this.name = 'ServiceCallError';
    this.callee = opts.callee;
    this.method = opts.method;
    this.path = opts.path;
    this.status = opts.status;
    this.problem = problem;
    this.body = opts.body;
    this.headers = opts.headers;
  }
}

function isProblem(body: unknown, headers: Headers): body is CalleeProblem {
  return (
    typeof body === 'object' &&
    body !== null &&
    !Array.isArray(body) &&
    (headers.get('content-type') ?? '').toLowerCase().startsWith('application/problem+json')
  );
}
