// graphql-js, pinned to its CommonJS build. The package ships the same library twice
// (index.js and index.mjs); mercurius require()s the CommonJS one, and schemas, errors and
// AST locations must come from that same copy for graphql's instanceof checks to hold.
// Node resolves a bare 'graphql' to it already; vite (vitest) prefers the `module` field and
// would hand us the other copy. Naming the file picks the same copy everywhere.
export {
  type ASTVisitor,
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  GraphQLScalarType,
  type GraphQLSchema,
  Kind,
  Location,
  NoSchemaIntrospectionCustomRule,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql/index.js';
