// Calibration candidate: the baseline plus one pino JSON line per request at info level,
// written to /dev/null, which is how the services log (see @meridian/observability's access
// log). BENCHMARKING.md measured this at ~0.66× bare Fastify; it also stands in for a service
// when none is running. Prints {"listening":PORT} like the baseline.
import Fastify, { LogController } from 'fastify';
import { listenAndAnnounce } from './announce.ts';

const app = Fastify({
  // A file destination, not stdout: stdout carries the port announcement to the harness.
  logger: { level: 'info', file: '/dev/null' },
  // Fastify's own two lines per request off; the hook below writes one, like the kit.
  logController: new LogController({ disableRequestLogging: true }),
});
app.addHook('onResponse', async (request, reply) => {
  request.log.info(
    {
      method: request.method,
      path: request.url,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    },
    'request completed',
  );
});
app.get('/', async () => ({ hello: 'world' }));

await listenAndAnnounce(app);
