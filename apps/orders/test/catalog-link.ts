// A TCP link in front of catalog for the saga's failure tests: it can lose the next
// reservation requests (never forwarded) or only their answers (forwarded, so catalog holds
// stock that orders never hears of), and be cut and restored on the same port.
import { createTcpProxy } from '@meridian/testing';

/**
 * A proxy in front of catalog that can lose the next reservation requests (never forwarded)
 * or their answers (forwarded, catalog holds the stock, the reply is dropped), and be cut.
 */
export async function createCatalogLink(target: { host: string; port: number }) {
  let intercept: { mode: 'request' | 'answer'; left: number } = { mode: 'request', left: 0 };
  const proxy = await createTcpProxy(target, {
    wire(client, upstream, drop) {
      let dropAnswer = false;
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
    },
  });
  return {
    port: proxy.port,
    /** Loses the next `n` reservation requests, or their answers. */
    intercept(mode: 'request' | 'answer', n: number) {
      intercept = { mode, left: n };
    },
    intercepted: () => intercept.left === 0,
    cut: proxy.cut,
    restore: proxy.restore,
    close: proxy.close,
  };
}
