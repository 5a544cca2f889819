// Environment for a component test: quiet logs, a free port, and Redis keys/queues under a
// prefix no other test file uses, so files can run in parallel against one Redis.
import { randomBytes } from 'node:crypto';

export function uniquePrefix(label = 'test'): string {
  return `${label}:${randomBytes(4).toString('hex')}:`;
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: uniquePrefix('test'),
    ...overrides,
  };
}
