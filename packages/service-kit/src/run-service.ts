// The server side of "app and server apart": listen, and on SIGTERM/SIGINT close gracefully:
// stop accepting, let in-flight requests finish, close pools and connections (onClose hooks),
// exit 0. A second signal, or a close slower than the grace period, exits 1.
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export interface RunOptions {
  host: string;
  port: number;
  graceMs: number;
}

export async function runService(app: FastifyInstance, opts: RunOptions): Promise<void> {
  const closeListeners = closeWithGrace({ delay: opts.graceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an uncaught error');
    else app.log.info({ signal }, 'shutting down gracefully');
    await app.close();
  });
  app.addHook('onClose', async () => {
    closeListeners.uninstall();
  });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    app.log.fatal({ err }, 'could not start listening');
    process.exit(1);
  }
}
