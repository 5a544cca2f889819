// pino options shared by every service: JSON lines, ISO time, and redaction of anything that
// authenticates someone. Redaction happens in the logger, so a careless log call still can't
// leak a password. See docs/observability.md.
import type { FastifyServerOptions } from 'fastify';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.authorization',
  '*.cookie',
];

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
    },
  };
}
