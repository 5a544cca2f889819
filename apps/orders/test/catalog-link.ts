// A TCP link in front of catalog for the saga's failure tests: it can lose the next
// reservation requests (never forwarded) or only their answers (forwarded, so catalog holds
// stock that orders never hears of), and be cut and restored on the same port.
import net from 'node:net';

/**
 * A proxy in front of catalog that can lose the next reservation requests (never forwarded)
 * or their answers (forwarded, catalog holds the stock, the reply is dropped), and be cut.
 */
export async function createCatalogLink(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let intercept: { mode: 'request' | 'answer'; left: number } = { mode: 'request', left: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let dropAnswer = false;
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      // A new request's first bytes are its request line (one request at a time per socket).
      const isReserve = chunk
        .toString('latin1', 0, 40)
        .startsWith('POST /v1/inventory/reservations ');
      if (isReserve && intercept.left > 0) {
        intercept.left -= 1;
        if (intercept.mode === 'request') return drop();
        dropAnswer = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropAnswer) return drop();
      client.write(chunk);
    });
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  const port = await listen(0);
  return {
    port,
    /** Loses the next `n` reservation requests, or their answers. */
    intercept(mode: 'request' | 'answer', n: number) {
      intercept = { mode, left: n };
    },
    intercepted: () => intercept.left === 0,
    cut: stop,
    restore: async () => {
      await listen(port);
    },
    close: stop,
  };
}
