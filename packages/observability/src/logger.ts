// pino options shared by every service: JSON lines, ISO time, and redaction of anything that
// authenticates someone. Redaction happens in the logger, so a careless log call still can't
// leak a password. See docs/observability.md.
import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';

/** Field names that carry a credential, redacted at the top of a line and one level down. */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
];

// Exact paths: pino keys each by its first segment and runs it only on lines that have that
// key, so they cost nothing on the lines that don't.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_FIELDS,
];

/**
 * Names redacted one level down, in whatever object holds them (`{ body: { password } }`),
 * like pino's `*.password` paths. Those wildcard paths made pino run its redactor on every
 * top-level value of every line, the access line included: about a tenth of a cached read's
 * CPU (bench/RESULTS.md). redactNested() below does the same job with one pass over the line
 * and copies only what it censors.
 */
export const NESTED_SECRET_KEYS: ReadonlySet<string> = new Set([
  ...SECRET_FIELDS,
  'authorization',
  'cookie',
]);

const CENSOR = '[redacted]';

/**
 * Copies an object with its secret keys censored. An Error stays an Error of the same class
 * (same prototype, own message and stack), so pino's err serializer still reads it as one.
 */
function censored(value: object): Record<string, unknown> {
  const copy: Record<string, unknown> =
    value instanceof Error
      ? Object.assign(Object.create(Object.getPrototypeOf(value)), value, {
          message: value.message,
          stack: value.stack,
        })
      : { ...value };
  for (const key of Object.keys(copy)) if (NESTED_SECRET_KEYS.has(key)) copy[key] = CENSOR;
  return copy;
}

/**
 * The line with every NESTED_SECRET_KEYS key one level down censored. Returns the object it
 * was given when there is nothing to censor (the common case: no allocation); never mutates
 * it, since the caller still owns it.
 */
export function redactNested(line: Record<string, unknown>): Record<string, unknown> {
  let out = line;
  for (const key in line) {
    const value = line[key];
    if (value === null || typeof value !== 'object') continue;
    let secret = false;
    for (const inner in value) {
      if (NESTED_SECRET_KEYS.has(inner)) {
        secret = true;
        break;
      }
    }
    if (!secret) continue;
    if (out === line) out = { ...line };
    out[key] = censored(value);
  }
  return out;
}

export interface LoggerSettings {
  level: string;
  service: string;
}

export function loggerOptions({
  level,
  service,
}: LoggerSettings): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level,
    base: { service },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      // "level":"info" instead of "level":30: log shippers and humans both read it.
      level: (label: string) => ({ level: label }),
      // Not for child bindings: pino applies no formatter to those, so `log.child({ a: { token } })`
      // is censored only by the exact paths above (a top-level `token` is; `a.token` is not).
      // Bind ids, not objects; the request logger binds only the request id.
      log: redactNested,
    },
  };
}

/**
 * Standard output for the logger. Asynchronous (sync false): lines collect in a buffer and go
 * out in one write once it holds 4 KiB (about ten access-log lines), or at the latest after
 * FLUSH_EVERY_MS, so a busy service makes one system call per batch, not per line, and a quiet
 * one still shows its lines within a quarter of a second. pino flushes the buffer when the
 * process exits; the kit flushes it on close.
 */
const ASYNC_BATCH_BYTES = 4096;
const FLUSH_EVERY_MS = 250;

export function logDestination(sync: boolean): pino.DestinationStream & {
  flush(cb?: (err?: Error) => void): void;
} {
  if (sync) return pino.destination({ dest: 1, sync });
  const dest = pino.destination({ dest: 1, sync, minLength: ASYNC_BATCH_BYTES });
  const timer = setInterval(() => {
    // With a callback, flush() reports a destroyed stream instead of throwing; nothing to do.
    dest.flush(() => {});
  }, FLUSH_EVERY_MS).unref();
  dest.on('close', () => clearInterval(timer));
  return dest;
}
