// Typed application errors and the RFC 9457 problem+json handler.
export {
  AppError,
  type AppErrorOptions,
  conflict,
  type FieldError,
  notFound,
} from './app-error.ts';
export {
  default as problemDetails,
  fieldErrors,
  frameworkErrorHandler,
  isDatabaseUnavailable,
  MAX_FIELD_ERRORS,
  notFoundHandler,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  type ProblemDocument,
  sendProblem,
} from './problem.ts';
export { FieldErrorSchema, ProblemSchema } from './schema.ts';
