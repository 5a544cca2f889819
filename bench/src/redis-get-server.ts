// Baseline for cached reads: bare Fastify (logger off) with one route that does one raw
// ioredis GET of a JSON string (the harness writes a product's JSON under BENCH_REDIS_KEY
// before any load) and returns it as is. One Redis round trip per request, nothing else.
// Listens on PORT (default 0) and prints {"listening":PORT}.
import Fastify from 'fastify';
import { listenAndAnnounce } from './announce.ts';
import { rawRedis } from './ioredis.ts';

const redis = rawRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const key = process.env.BENCH_REDIS_KEY ?? 'bench:product';

const app = Fastify({ logger: false });
app.get('/product', async (_request, reply) => {
  const value = await redis.get(key);
  if (value === null) return reply.code(404).send({ error: `no value at ${key}` });
  return reply.type('application/json').send(value);
});
app.addHook('onClose', async () => {
  await redis.quit();
});

await listenAndAnnounce(app);
