// How every bench server starts: listen on PORT (default 0: any free port), print
// {"listening":PORT} for the harness, and close cleanly on SIGTERM/SIGINT so in-flight
// requests finish.
import type { FastifyInstance } from 'fastify';

export async function listenAndAnnounce(app: FastifyInstance): Promise<void> {
  const port = Number(process.env.PORT ?? 0);
  await app.listen({ host: '127.0.0.1', port });
  const addr = app.server.address();
  console.log(JSON.stringify({ listening: typeof addr === 'object' && addr ? addr.port : port }));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
