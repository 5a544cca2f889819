// RFC 9457 problem details: one envelope for every error any service returns.
// 4xx carry a useful detail; 5xx never expose internals (they are logged instead).
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type FieldError } from './app-error.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const PROBLEM_TYPE_BASE = 'urn:meridian:problem:';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface ProblemInput {
  status: number;
  code: string;
  detail: string;
  title?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

// Codes for Fastify's own client errors, so clients can switch on `code`, not on prose.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed-body',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CHARSET: 'unsupported-media-type',
  FST_ERR_BAD_URL: 'malformed-url',
  FST_ERR_ASYNC_CONSTRAINT: 'bad-request',
};

function slug(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** At most this many field errors per response: a huge invalid body gets a bounded reply. */
export const MAX_FIELD_ERRORS = 20;

/** ajv errors → field errors with JSON Pointers; unknown fields point at the field itself. */
export function fieldErrors(validation: AjvLikeError[], part: string): FieldError[] {
  return validation.slice(0, MAX_FIELD_ERRORS).map((v) => {
    let pointer = v.instancePath ?? '';
    let detail = v.message ?? 'is invalid';
    if (v.keyword === 'additionalProperties' && v.params?.additionalProperty !== undefined) {
      pointer = `${pointer}/${String(v.params.additionalProperty)}`;
      detail = 'is not an allowed field';
    } else if (v.keyword === 'required' && v.params?.missingProperty !== undefined) {
      pointer = `${pointer}/${String(v.params.missingProperty)}`;
      detail = 'is required';
    }
    return { in: part, pointer, detail };
  });
}

function instanceOf(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q === -1 ? request.url : request.url.slice(0, q);
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ProblemInput,
): FastifyReply {
  const { status, code, detail, title, ...extensions } = problem;
  // RFC 9457 members first, in the RFC's order, then ours, so documents read the same way.
  const doc: ProblemDocument = {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: title ?? STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: instanceOf(request),
    code,
    requestId: request.id,
    ...extensions,
  };
  // Serialized here, not by a route's response schema, so every error has the same shape.
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(doc));
}

// SQLSTATEs that mean "not now" rather than "wrong": statement/lock timeouts, too many
// connections, the server shutting down or unreachable (class 08), a serialization retry.
const UNAVAILABLE_SQLSTATES = new Set([
  '57014',
  '55P03',
  '53300',
  '57P01',
  '57P02',
  '57P03',
  '40001',
  '40P01',
]);

/** Duck-typed (this package does not depend on pg): the driver's and the pool's errors. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 3; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) {
      return true;
    }
    // pg.Pool's acquire timeout and a connection that died mid-query carry no SQLSTATE.
    if (
      typeof message === 'string' &&
      /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/.test(
        message,
      )
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause; // drizzle wraps the driver's error
  }
  return false;
}

const problemPlugin: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const raw = (error as { statusCode?: unknown }).statusCode;
    let status = typeof raw === 'number' && raw >= 400 && raw <= 599 ? raw : 500;
    // The database being away or overloaded is not a bug in this request: 503 + Retry-After,
    // so clients and load balancers back off and retry instead of reporting a crash.
    if (status === 500 && isDatabaseUnavailable(error)) {
      status = 503;
      reply.header('retry-after', '1');
    }

    // Our own AppErrors carry details written for clients, whatever their status (a 503
    // with Retry-After, say). Anything else that reaches 5xx is a bug: log it, mask it.
    if (status >= 500 && !(error instanceof AppError)) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(request, reply, {
        status,
        code: status === 503 ? 'service-unavailable' : 'internal-error',
        detail:
          status === 503
            ? 'A dependency is unavailable; try again shortly.'
            : 'An unexpected error occurred. Quote the request id when reporting it.',
      });
    }

    if (error instanceof AppError) {
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      if (error.headers) reply.headers(error.headers);
      return sendProblem(request, reply, {
        ...error.extensions,
        status,
        code: error.code,
        title: error.title,
        detail: error.message,
        ...(error.errors ? { errors: error.errors } : {}),
      });
    }

    const fe = error as FastifyError;
    if (fe.validation) {
      return sendProblem(request, reply, {
        status: 400,
        code: 'validation-failed',
        title: 'Validation failed',
        detail: `Invalid request ${fe.validationContext ?? 'input'}; see errors.`,
        errors: fieldErrors(fe.validation as AjvLikeError[], fe.validationContext ?? 'body'),
      });
    }

    return sendProblem(request, reply, {
      status,
      code: (fe.code && FASTIFY_CODES[fe.code]) ?? slug(status),
      detail: error.message,
    });
  });
};

/** The 404 for unknown routes. The kit installs it behind the rate limiter (see there). */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(request, reply, {
    status: 404,
    code: 'route-not-found',
    detail: `No route ${request.method} ${instanceOf(request)}.`,
  });
}

export default fp(problemPlugin, { name: '@meridian/problem', fastify: '5.x' });

const FRAMEWORK_ERRORS: Record<string, { status: number; code: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'malformed-url' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri-too-long' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad-request' },
};

/**
 * Fastify's `frameworkErrors` option: errors raised while routing (an undecodable URL, a path
 * parameter over maxParamLength), before any hook runs. Without it Fastify answers plain
 * JSON; with it they get the same problem document as everything else.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const known = FRAMEWORK_ERRORS[error.code] ?? { status: 400, code: 'bad-request' };
  // No onRequest hook ran, so the request id header is set here.
  reply.header('x-request-id', request.id);
  return sendProblem(request, reply, { ...known, detail: error.message });
}
