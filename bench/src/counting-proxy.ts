// TCP proxies on 127.0.0.1 that forward a service's Postgres and Redis connections untouched
// while counting what the service sends (see wire-count.ts). Used only outside timed rounds:
// an extra hop in the path would slow the service it measures.
import { connect, createServer, type Socket } from 'node:net';
import type { Counts, StreamCounter } from './wire-count.ts';

export interface CountingProxy {
  port: number;
  counts: Counts;
  /** Set when a stream could not be parsed (e.g. TLS); counts are then incomplete. */
  problem: string | null;
  close(): Promise<void>;
}

export interface Upstream {
  host: string;
  port: number;
}

export function startCountingProxy(
  upstream: Upstream,
  makeCounter: (counts: Counts) => StreamCounter,
): Promise<CountingProxy> {
  const counts: Counts = {};
  const sockets = new Set<Socket>();
  const proxy: CountingProxy = {
    port: 0,
    counts,
    problem: null,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((client) => {
    const remote = connect(upstream.port, upstream.host);
    const counter = makeCounter(counts);
    let parsing = true;
    for (const s of [client, remote]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        remote.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (!parsing) return;
      try {
        counter.feed(chunk);
      } catch (err) {
        // Stop counting this connection but keep forwarding: the service must not notice.
        parsing = false;
        proxy.problem = (err as Error).message;
      }
    });
    client.pipe(remote);
    remote.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      proxy.port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve(proxy);
    });
  });
}

/**
 * Where a postgres:// or redis:// URL points. Throws for what a byte-counting proxy cannot
 * read: TLS and Unix sockets.
 */
export function parseUpstream(raw: string, defaultPort: number): Upstream {
  const u = new URL(raw);
  if (u.protocol === 'rediss:') throw new Error('Redis over TLS cannot be counted');
  const sslmode = u.searchParams.get('sslmode') ?? u.searchParams.get('ssl');
  if (sslmode && sslmode !== 'disable' && sslmode !== 'false') {
    throw new Error(`Postgres with sslmode=${sslmode} cannot be counted`);
  }
  if (u.searchParams.has('host') || !u.hostname) {
    throw new Error('a Unix-socket connection cannot be proxied');
  }
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) || defaultPort };
}

/** The same URL aimed at a proxy on 127.0.0.1. */
export function retarget(raw: string, port: number): string {
  const u = new URL(raw);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}
