// Config loading: coercion, defaults, and one readable error naming every bad variable.
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { BaseConfigSchema, ConfigError, loadConfig, portSchema } from '../src/index.ts';

const Schema = Type.Object({ ...BaseConfigSchema.properties, PORT: portSchema(3002) });

describe('loadConfig', () => {
  it('applies defaults and coerces numbers from strings', () => {
    const config = loadConfig(Schema, { PORT: '4000', DATABASE_POOL_MAX: '3' });
    expect(config.PORT).toBe(4000);
    expect(config.DATABASE_POOL_MAX).toBe(3);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig(Schema, { PORT: '' }).PORT).toBe(3002);
  });

  it('names every bad variable in one error, not just the first', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { issues, message } = error as ConfigError;
    expect(issues).toHaveLength(3);
    expect(message).toContain('PORT="abc" must be integer');
    expect(message).toContain('LOG_LEVEL="loud" must be one of: fatal, error, warn, info');
    expect(message).toContain('DATABASE_URL');
  });

  it('reports a required variable that is missing', () => {
    const Required = Type.Object({ API_KEY: Type.String({ minLength: 1 }) });
    expect(() => loadConfig(Required, {})).toThrow('API_KEY is required but not set');
  });

  it('never prints the value of a secret-looking variable', () => {
    const Secret = Type.Object({ JWT_SECRET: Type.String({ minLength: 32 }) });
    expect(() => loadConfig(Secret, { JWT_SECRET: 'short-secret' })).toThrow(
      /JWT_SECRET=<redacted>/,
    );
    expect(() => loadConfig(Secret, { JWT_SECRET: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it('never prints the password inside a connection URL', () => {
    const Url = Type.Object({ DATABASE_URL: Type.String({ pattern: '^postgres://.+/[a-z]+$' }) });
    let message = '';
    try {
      loadConfig(Url, { DATABASE_URL: 'postgres://app:pa55word@db:5432/' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('postgres://app:***@db:5432/');
    expect(message).not.toContain('pa55word');
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig(Schema, { PORT: '70000' })).toThrow(/PORT="70000" must be <= 65535/);
  });

  it('defaults the access-token settings to the local auth service', () => {
    const config = loadConfig(Schema, {});
    expect(config.AUTH_ISSUER).toBe('http://localhost:3001');
    expect(config.AUTH_AUDIENCE).toBe('meridian-api');
    expect(config.AUTH_JWKS_URL).toBe('http://127.0.0.1:3001/.well-known/jwks.json');
  });

  it('refuses a JWKS URL that is not http(s)', () => {
    expect(() => loadConfig(Schema, { AUTH_JWKS_URL: 'file:///etc/jwks.json' })).toThrow(
      /AUTH_JWKS_URL="file:\/\/\/etc\/jwks.json" must match pattern/,
    );
  });

  it('does not write defaults back into the environment it read', () => {
    const env: Record<string, string> = { PORT: '1' };
    loadConfig(Schema, env);
    expect(env).toEqual({ PORT: '1' });
  });
});
