// POST/GET /graphql: the catalog's reads as one GraphQL endpoint (mercurius), beside the REST
// routes and inside the same kit scope, so the rate limit, CORS, token verification, body
// limit and problem+json for non-GraphQL errors apply as they do to /v1. GraphiQL at
// /graphiql only with GRAPHQL_IDE. See docs/rest-vs-graphql.md.
import type { FastifyPluginAsync, RouteOptions } from 'fastify';
import mercurius from 'mercurius';
import { formatExecution, handleRouteError } from './errors.ts';
import {
  type DocumentNode,
  GraphQLError,
  Location,
  NoSchemaIntrospectionCustomRule,
} from './graphql-js.ts';
import { checkCost, depthLimitRule, MAX_COST, MAX_DEPTH, MAX_TOKENS } from './limits.ts';
import { createResolvers, type GraphqlContext, type GraphqlServices } from './resolvers.ts';
import { schema } from './schema.ts';

export interface GraphqlRoutesOptions extends GraphqlServices {
  /** GraphiQL at /graphiql and introspection: development only (config GRAPHQL_IDE). */
  ide: boolean;
}

// OpenAPI: `{}` marks the token as optional, as on the REST reads.
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const Problem = { $ref: 'Problem' };

// What /graphql answers, for OpenAPI and the serializer. mercurius's own response schema
// types `path` as strings only, which would turn list indexes into "3".
const GraphqlError = {
  type: 'object',
  required: ['message'],
  properties: {
    message: { type: 'string' },
    locations: {
      type: 'array',
      items: {
        type: 'object',
        properties: { line: { type: 'integer' }, column: { type: 'integer' } },
      },
    },
    path: { type: 'array', items: { type: ['string', 'integer'] } },
    extensions: {
      type: 'object',
      description: '`code` (as in problem+json) and `status` (the REST status it stands for)',
      properties: { code: { type: 'string' }, status: { type: 'integer' } },
      additionalProperties: true,
    },
  },
};
const GraphqlResponse = {
  type: 'object',
  description: 'Ran: `data`, with `errors` for the fields that failed (HTTP 200 either way)',
  properties: {
    data: { type: ['object', 'null'], additionalProperties: true },
    errors: { type: 'array', items: GraphqlError },
  },
};
const GraphqlRefusal = {
  type: 'object',
  description:
    'Refused before running: syntax, validation, depth, cost or variables. `errors` only.',
  properties: { errors: { type: 'array', items: GraphqlError } },
};

// The GraphiQL page (development only) loads React and GraphiQL from unpkg.com; this policy
// is set on its four routes alone, so /graphql and /v1 keep the kit's `default-src 'none'`.
const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self' https://unpkg.com",
  "style-src 'self' 'unsafe-inline' https://unpkg.com",
  "img-src 'self' data:",
  "font-src 'self' data: https://unpkg.com",
  "connect-src 'self'",
  "worker-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

function describeRoute(route: RouteOptions & { routePath: string }): void {
  // routePath: the path without any prefix the catalog is mounted under (ARC-02).
  if (route.routePath.startsWith('/graphiql')) {
    route.schema = { ...route.schema, hide: true };
    const onSend = route.onSend ? [route.onSend].flat() : [];
    route.onSend = [
      ...onSend,
      async (_request, reply, payload) => {
        reply.header('content-security-policy', GRAPHIQL_CSP);
        return payload;
      },
    ];
    return;
  }
  if (route.routePath !== '/graphql') return;
  const get = route.method === 'GET';
  route.schema = {
    ...route.schema,
    tags: ['graphql'],
    summary: get ? 'Run a GraphQL query (queries only)' : 'Run a GraphQL query',
    description:
      'The catalog reads as GraphQL: products (filters, sort, cursors), product, categories ' +
      '(the tree), search. Drafts and stock need catalog:write, as on REST. Refused with 400 ' +
      `and GraphQL \`errors\`: deeper than ${MAX_DEPTH} levels, costlier than ${MAX_COST} ` +
      `(a page multiplies its fields by \`first\`), over ${MAX_TOKENS} tokens. Not cached: ` +
      'no ETag, unlike the REST reads. See docs/rest-vs-graphql.md.',
    security: optionalBearer,
    response: {
      200: GraphqlResponse,
      400: GraphqlRefusal,
      401: Problem,
      ...(get ? {} : { 413: Problem, 415: Problem }),
      429: Problem,
    },
  };
}

export const graphqlRoutes: FastifyPluginAsync<GraphqlRoutesOptions> = async (app, opts) => {
  app.addHook('onRoute', describeRoute);
  // Reads are public; a token that is sent is verified (a bad one is a 401 problem), as on
  // REST. Before the body is parsed, so a refused caller costs no GraphQL work.
  app.addHook('onRequest', app.auth.optional);

  const { resolvers, loaders } = createResolvers(opts);
  await app.register(mercurius, {
    schema,
    resolvers: resolvers as never,
    loaders: loaders as never,
    path: '/graphql',
    graphiql: opts.ide,
    // One operation per request: a batch of N would multiply the cost limit by N.
    allowBatchedQueries: false,
    graphql: { parseOptions: { maxTokens: MAX_TOKENS } },
    // Depth here, with the parse cache: a refused document is refused from the cache next
    // time. Not mercurius's queryDepth: it counts introspection (15 levels for GraphiQL).
    validationRules: [
      depthLimitRule(MAX_DEPTH),
      ...(opts.ide ? [] : [NoSchemaIntrospectionCustomRule]),
    ],
    context: (request): GraphqlContext => ({ principal: request.principal }),
    errorFormatter: formatExecution as never,
    errorHandler: handleRouteError as never,
  });

  // mercurius takes a query string that is not GraphQL but parses as JSON as a ready-made
  // AST. A client's AST would skip the token limit and could be malformed enough to crash
  // validation (a 500): only documents our parser produced (they carry its Location) pass.
  app.graphql.addHook('preValidation', async (_schema, document: DocumentNode) => {
    if (!(document.loc instanceof Location)) {
      throw new GraphQLError('The query must be a GraphQL document.', {
        extensions: { code: 'graphql-validation-failed', status: 400 },
      });
    }
  });

  // Cost needs the variables (`first: $n`), so it is weighed per request, after validation.
  app.graphql.addHook('preExecution', async (schema, document, context, variables) => {
    const request = (context as { reply?: { request: { body?: unknown; query?: unknown } } }).reply
      ?.request;
    const params = (request?.body ?? request?.query ?? {}) as { operationName?: unknown };
    checkCost({
      schema,
      document,
      variables: variables as Record<string, unknown> | undefined,
      operationName: typeof params.operationName === 'string' ? params.operationName : undefined,
      maxCost: MAX_COST,
    });
  });
};
