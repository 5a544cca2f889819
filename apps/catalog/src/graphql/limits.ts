// What one GraphQL request may ask for. A REST route's work is fixed by its URL; a GraphQL
// query's work is chosen by the client, so it is measured and bounded before it runs:
// - tokens: the parser stops after MAX_TOKENS (a huge query string costs nothing to refuse);
// - depth: fields nested at most MAX_DEPTH levels (a validation rule, cached with the parse);
// - cost: every field costs 1, and a page multiplies what it selects by its page size
//   (`first`), so 3 aliases of a 100-product page cost 3 × 100 × their fields. Checked with
//   the request's variables, since `first: $n` is only known then.
// Every refusal is a GraphQL error with extensions.code, answered with HTTP 400 before any
// resolver runs. See docs/rest-vs-graphql.md.

// Its CommonJS build, which require()s the same graphql-js copy as mercurius (graphql-js.ts).
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity/cjs';
import {
  type ASTVisitor,
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from './graphql-js.ts';

/** Lexical tokens a document may hold: the largest sensible query is a few hundred. */
export const MAX_TOKENS = 2_000;
/** `products { nodes { category { children { children { name } } } } }` is 6. */
export const MAX_DEPTH = 8;
/** A full page of 100 products with every field, category and stock is about 2,300. */
export const MAX_COST = 5_000;
/** Fields (and fragments) the cost walk visits at most: a bound on fragment fan-out. */
export const MAX_QUERY_NODES = 5_000;

/** What a page costs when `first` is not given: the resolvers' defaults. */
const DEFAULT_PAGE = 20;
/** The largest page any field serves: a bigger `first` is refused by the resolver anyway. */
const MAX_PAGE = 100;
/**
 * The category tree is read whole in one statement and walked in memory, so its levels are
 * not pages: the roots count as this many, each `children` level as one more pass.
 */
const CATEGORY_ROOTS = 20;

// Schema introspection (__schema, __type) is on only with GRAPHQL_IDE (development) and is
// then exempt from depth and cost: GraphiQL's own introspection query is 15 levels deep.
const isIntrospection = (name: string) => name === '__schema' || name === '__type';

const refusal = (
  message: string,
  extensions: Record<string, unknown>,
  nodes?: GraphQLError['nodes'],
) => new GraphQLError(message, { nodes, extensions: { status: 400, ...extensions } });

/**
 * Validation rule: refuses an operation whose fields nest deeper than `maxDepth`. Fragments
 * add no level of their own; each named fragment is measured once (a fragment used twice at
 * every level cannot make the walk exponential), and a fragment cycle (refused by the
 * standard rules anyway) counts as nothing rather than looping.
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragmentDepths = new Map<string, number>();
    const inProgress = new Set<string>();

    const depthOf = (set: SelectionSetNode | undefined): number => {
      let deepest = 0;
      for (const selection of set?.selections ?? []) {
        let depth = 0;
        if (selection.kind === Kind.FIELD) {
          if (isIntrospection(selection.name.value)) continue;
          depth = 1 + depthOf(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = depthOf(selection.selectionSet);
        } else {
          depth = fragmentDepth(selection.name.value);
        }
        if (depth > deepest) deepest = depth;
      }
      return deepest;
    };

    const fragmentDepth = (name: string): number => {
      const known = fragmentDepths.get(name);
      if (known !== undefined) return known;
      if (inProgress.has(name)) return 0;
      inProgress.add(name);
      const depth = depthOf(context.getFragment(name)?.selectionSet);
      inProgress.delete(name);
      fragmentDepths.set(name, depth);
      return depth;
    };

    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet);
        if (depth > maxDepth) {
          context.reportError(
            refusal(
              `The query nests fields ${depth} levels deep; at most ${maxDepth} are allowed.`,
              { code: 'query-too-deep', depth, maxDepth },
              [operation],
            ),
          );
        }
      },
    };
  };
}

/** Clamped `first`: the page size a list field will serve, as far as cost is concerned. */
function pageSize(first: unknown): number {
  if (typeof first !== 'number' || !Number.isInteger(first)) return DEFAULT_PAGE;
  return Math.min(Math.max(first, 1), MAX_PAGE);
}

const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (isIntrospection(field.name)) return 0;
  const coordinate = `${type.name}.${field.name}`;
  if (coordinate === 'Query.products' || coordinate === 'Query.search') {
    return 1 + pageSize(args.first) * childComplexity;
  }
  if (coordinate === 'Query.categories') return 1 + CATEGORY_ROOTS * childComplexity;
  return 1 + childComplexity;
};

/**
 * The operation's cost with these variables, or a refusal when it is over `maxCost` or has
 * more than MAX_QUERY_NODES selections to weigh. Run after validation, so the document is
 * known to be valid against the schema.
 */
export function checkCost(opts: {
  schema: GraphQLSchema;
  document: DocumentNode;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
  maxCost: number;
}): number {
  let cost: number;
  try {
    cost = getComplexity({
      schema: opts.schema,
      query: opts.document,
      variables: opts.variables ?? {},
      ...(opts.operationName ? { operationName: opts.operationName } : {}),
      estimators: [estimator],
      maxQueryNodes: MAX_QUERY_NODES,
    });
  } catch (err) {
    // The node bound, or variables the walk cannot read: either way, not run.
    throw refusal(
      err instanceof GraphQLError && /maximum allowed number of nodes/.test(err.message)
        ? `The query selects more than ${MAX_QUERY_NODES} fields once its fragments are expanded.`
        : 'The query cost cannot be computed for these variables.',
      { code: 'query-too-complex', maxCost: opts.maxCost },
    );
  }
  if (cost > opts.maxCost) {
    throw refusal(
      `The query costs ${cost}; at most ${opts.maxCost} is allowed. Ask for smaller pages ` +
        '(`first`), fewer fields or fewer aliases, or split it.',
      { code: 'query-too-complex', cost, maxCost: opts.maxCost },
    );
  }
  return cost;
}
