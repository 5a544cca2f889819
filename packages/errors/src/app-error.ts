// The error type services throw. A module keeps its own catalog of codes (for example
// orders.errors.ts) built on these; the handler turns any of them into problem+json.
import { STATUS_CODES } from 'node:http';

export interface FieldError {
  /** Where the bad value was: body, querystring, params or headers. */
  in: string;
  /** JSON Pointer (RFC 6901) to the field inside that part, '' for the part itself. */
  pointer: string;
  detail: string;
}

export interface AppErrorOptions {
  status: number;
  /** Stable, machine-readable code; also the last segment of the problem type URI. */
  code: string;
  detail?: string;
  title?: string;
  errors?: FieldError[];
  /** Extra members added to the problem document (RFC 9457 extensions). */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(opts: AppErrorOptions) {
    super(opts.detail ?? STATUS_CODES[opts.status] ?? 'Error', { cause: opts.cause });
    this.name = 'AppError';
    this.statusCode = opts.status;
    this.code = opts.code;
    this.title = opts.title ?? STATUS_CODES[opts.status] ?? 'Error';
    this.errors = opts.errors;
    this.extensions = opts.extensions;
    this.headers = opts.headers;
  }
}

export const notFound = (detail: string) =>
  new AppError({ status: 404, code: 'not-found', detail });
export const conflict = (code: string, detail: string) =>
  new AppError({ status: 409, code, detail });
