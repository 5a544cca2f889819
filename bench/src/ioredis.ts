// ioredis for the bench: the exact client and version the services use (6.0.0), resolved
// from @meridian/redis's own dependencies so the bench adds no dependency of its own.
// Typed minimally: only what the bench calls.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export interface RawRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  del(key: string): Promise<number>;
  quit(): Promise<unknown>;
}

type RedisCtor = new (url: string, options?: Record<string, unknown>) => RawRedis;

const requireFromRedisPackage = createRequire(
  resolve(import.meta.dirname, '../../packages/redis/package.json'),
);
const { Redis } = requireFromRedisPackage('ioredis') as { Redis: RedisCtor };

export function rawRedis(url: string): RawRedis {
  return new Redis(url, { lazyConnect: false });
}
