// The baseline every scenario is measured against: bare Fastify, logger off, GET / → a tiny
// JSON body. Listens on PORT (default 0: any free port) and prints {"listening":PORT}.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

const port = Number(process.env.PORT ?? 0);
await app.listen({ host: '127.0.0.1', port });
const addr = app.server.address();
console.log(JSON.stringify({ listening: typeof addr === 'object' && addr ? addr.port : port }));

// The harness stops us with SIGTERM; close so in-flight requests finish cleanly.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
