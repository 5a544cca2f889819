// How GraphQL errors reach clients, kept to the REST API's rules (packages/errors):
// - an AppError keeps its detail, and its code and status go to `extensions`;
// - anything else a resolver throws is a bug: logged with the request id, and masked;
// - a request refused before it runs (syntax, validation, depth, cost, bad variables) is
//   HTTP 400 with GraphQL `errors` and no `data`; a request that ran is HTTP 200, whatever
//   its field errors say (GraphQL over HTTP, application/json);
// - errors that are not about GraphQL at all (bad token, rate limit, body too large, wrong
//   content type) go on to the kit's handler and are problem+json like everywhere else.
import { AppError, isDatabaseUnavailable } from '@meridian/errors';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { type ExecutionResult, GraphQLError, type GraphQLFormattedError } from './graphql-js.ts';

const REQUEST_ERROR = 'graphql-validation-failed';

interface LoggerHolder {
  reply?: { log: FastifyBaseLogger; request: FastifyRequest };
  app?: { log: FastifyBaseLogger };
}

const loggerOf = (context: LoggerHolder): FastifyBaseLogger | undefined =>
  context.reply?.request.log ?? context.app?.log;

/** What GraphQL itself says about where the error is, without its internals. */
function position(error: GraphQLError): Pick<GraphQLFormattedError, 'locations' | 'path'> {
  return {
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
  };
}

function fromAppError(error: GraphQLError, app: AppError): GraphQLFormattedError {
  return {
    message: app.message,
    ...position(error),
    extensions: {
      ...app.extensions,
      code: app.code,
      status: app.statusCode,
      ...(app.errors ? { errors: app.errors } : {}),
    },
  };
}

/** One error of an operation that ran (or began to): a field's, or the operation's. */
function presentExecutionError(error: GraphQLError, log?: FastifyBaseLogger) {
  const original = error.originalError;
  if (original instanceof AppError) {
    if (original.statusCode >= 500) log?.error({ err: original }, 'graphql field failed');
    return fromAppError(error, original);
  }
  // No original error and no path: GraphQL refused the operation before running any field
  // (a required variable missing, say). The message is about the client's document.
  if (!original && !error.path) {
    return {
      message: error.message,
      ...position(error),
      extensions: { code: REQUEST_ERROR, status: 400, ...error.extensions },
    };
  }
  // The database away or overloaded: not a bug, and REST answers it 503 + Retry-After.
  if (isDatabaseUnavailable(original)) {
    log?.warn({ err: original, path: error.path }, 'graphql field failed: database unavailable');
    return {
      message: 'The service is temporarily unavailable; retry shortly.',
      ...position(error),
      extensions: { code: 'service-unavailable', status: 503 },
    };
  }
  // Anything else is ours to fix: a driver error, a TypeError, a null in a non-null field.
  log?.error({ err: original ?? error, path: error.path }, 'graphql field failed');
  return {
    message: 'An unexpected error occurred. Quote the request id when reporting it.',
    ...position(error),
    extensions: { code: 'internal-error', status: 500 },
  };
}

/**
 * mercurius `errorFormatter`: the result of an operation with errors. Runs for every
 * execution, so it is also where a resolver's errors are masked.
 */
export function formatExecution(
  execution: ExecutionResult & { errors: readonly GraphQLError[] },
  context: LoggerHolder,
): { statusCode: number; response: ExecutionResult | { errors: GraphQLFormattedError[] } } {
  const log = loggerOf(context);
  const errors = execution.errors.map((e) => presentExecutionError(e, log));
  // No data and no field ran (a required variable missing, a mutation on a read-only
  // schema): the operation was refused, which is the client's doing.
  const refused =
    execution.data == null && execution.errors.every((e) => !e.path && !e.originalError);
  if (refused) return { statusCode: 400, response: { errors } };
  // Nothing could be read because the database is away: say so at the HTTP level too, so
  // clients and load balancers back off and retry as they do for REST's 503.
  const nothingRead =
    execution.data == null || Object.values(execution.data).every((v) => v === null);
  if (nothingRead && errors.every((e) => e.extensions?.status === 503)) {
    return { statusCode: 503, response: { data: null, errors } as unknown as ExecutionResult };
  }
  return {
    statusCode: 200,
    response: { data: execution.data, errors } as unknown as ExecutionResult,
  };
}

// --- refused before execution ---------------------------------------------------------------

interface RequestError extends Error {
  code?: unknown;
  statusCode?: unknown;
  errors?: unknown;
  validation?: unknown;
}

/**
 * True for what mercurius throws about the GraphQL request itself (MER_ERR_*: syntax,
 * validation, a mutation over GET, no query) and for the refusals of limits.ts.
 */
function isGraphqlRequestError(error: RequestError): boolean {
  if (error instanceof GraphQLError) return true;
  const status = typeof error.statusCode === 'number' ? error.statusCode : 400;
  return typeof error.code === 'string' && error.code.startsWith('MER_ERR_') && status < 500;
}

function presentRequestError(error: unknown): GraphQLFormattedError {
  if (error instanceof GraphQLError) {
    return {
      message: error.message,
      ...position(error),
      extensions: { code: REQUEST_ERROR, status: 400, ...error.extensions },
    };
  }
  // A body or querystring that failed mercurius's route schema (ajv), a JSON variables
  // string that did not parse, "Unknown query": messages about the request, never internals.
  const message =
    error instanceof Error && error.message ? error.message : 'The GraphQL request is invalid.';
  return { message, extensions: { code: REQUEST_ERROR, status: 400 } };
}

/**
 * mercurius `errorHandler` (the /graphql routes' Fastify error handler). GraphQL request
 * errors are answered in GraphQL's shape; everything else is rethrown, which hands it to the
 * parent scope's handler: the kit's problem+json, with its headers (WWW-Authenticate,
 * Retry-After) and its masking of 5xx.
 */
export async function handleRouteError(
  error: RequestError,
  _request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  if (!isGraphqlRequestError(error)) throw error;
  const inner = Array.isArray(error.errors) && error.errors.length > 0 ? error.errors : [error];
  const status = typeof error.statusCode === 'number' ? error.statusCode : 400;
  await reply.code(status).send({ errors: inner.map(presentRequestError) });
}
