// A TCP proxy a test can cut and restore, to show how a service behaves when Postgres or
// Redis goes away, without ever stopping the shared servers other tests are using.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drop every open connection and refuse new ones. */
  cut(): Promise<void>;
  /** Accept and forward connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /**
   * How bytes flow between a client and its upstream connection; both ways unchanged by
   * default. A test can look at the traffic instead and drop a connection (`drop`) to lose a
   * chosen request or its answer.
   */
  wire?: (client: net.Socket, upstream: net.Socket, drop: () => void) => void;
}

export async function createTcpProxy(
  target: { host: string; port: number },
  opts: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (opts.wire) opts.wire(client, upstream, drop);
    else client.pipe(upstream).pipe(client);
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
    cut: stop,
    restore: async () => {
      await listen(port);
    },
    close: stop,
  };
}
