// HTTP caching for public reads, opt-in per route: `config: { httpCache: { ... } }`.
// For a GET or HEAD that answers 200, the hook hashes the exact bytes about to be sent into a
// strong ETag, sets Cache-Control (public for a CDN, private when the answer may be personal)
// and Vary, and turns the answer into a 304 with no body when the client's If-None-Match
// already names it. Anything else (errors, other statuses, unsafe methods, streams) passes
// through untouched. The hook is attached in onRoute, so routes without `httpCache` pay
// nothing. See docs/service-kit.md.
import { hash } from 'node:crypto';
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onSendHookHandler,
  RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';

export interface HttpCacheOptions {
  /** Seconds a cache may serve the answer without asking again (`max-age`). */
  maxAgeSec: number;
  /** Seconds after that a cache may still serve it while it revalidates in the background. */
  staleWhileRevalidateSec: number;
  /**
   * `true` (the default): shared caches (a CDN) may store it, unless the request carried
   * `Authorization`, which always makes the answer `private`. `false`: always `private`.
   */
  public?: boolean;
  /** Request headers the representation depends on, added to `Vary` (e.g. `Authorization`). */
  vary?: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Strong ETag, If-None-Match → 304, Cache-Control and Vary on 200 answers to GET/HEAD. */
    httpCache?: HttpCacheOptions;
  }
}

/** A strong validator: 27 base64url characters (162 bits) of the SHA-256 of the bytes sent. */
export function strongEtag(payload: string | Buffer): string {
  // crypto.hash is the one-shot form: no Hash object per request (Node >= 20.12).
  return `"${hash('sha256', payload, 'base64url').slice(0, 27)}"`;
}

// An entity tag per RFC 9110 §8.8.3: optional W/, then a quoted opaque string (which may hold
// commas, so a list is not split on commas but matched tag by tag).
const ENTITY_TAG = /(?:W\/)?"[^"]*"/g;

/**
 * Whether an If-None-Match header matches the current strong ETag, by the weak comparison
 * RFC 9110 §13.1.2 prescribes for If-None-Match: `W/"x"` matches `"x"`; `*` matches any
 * current representation.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const tag of header.match(ENTITY_TAG) ?? []) {
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === opaque) return true;
  }
  return false;
}

/** `Vary` with `names` merged in, case-insensitively, keeping what is already there. */
function mergeVary(reply: FastifyReply, names: readonly string[]): void {
  if (names.length === 0) return;
  const current = reply.getHeader('vary');
  // The common case, one name and nothing set yet: no parsing.
  if (current === undefined && names.length === 1) {
    reply.header('vary', names[0] as string);
    return;
  }
  const list = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.includes('*')) return;
  const seen = new Set(list.map((s) => s.toLowerCase()));
  for (const name of names) {
    if (!seen.has(name.toLowerCase())) {
      seen.add(name.toLowerCase());
      list.push(name);
    }
  }
  reply.header('vary', list.join(', '));
}

function validate(options: HttpCacheOptions, route: string): void {
  for (const key of ['maxAgeSec', 'staleWhileRevalidateSec'] as const) {
    const value = options[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`httpCache.${key} on ${route} must be a non-negative integer`);
    }
  }
}

function buildHook(options: HttpCacheOptions): onSendHookHandler {
  const freshness = `max-age=${options.maxAgeSec}, stale-while-revalidate=${options.staleWhileRevalidateSec}`;
  const publicValue = `public, ${freshness}`;
  const privateValue = `private, ${freshness}`;
  const alwaysPrivate = options.public === false;
  const vary = options.vary ?? [];

  return function httpCacheOnSend(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (err: Error | null, payload?: unknown) => void,
  ) {
    const method = request.method;
    if (
      reply.statusCode !== 200 ||
      (method !== 'GET' && method !== 'HEAD') ||
      (typeof payload !== 'string' && !Buffer.isBuffer(payload))
    ) {
      return done(null, payload);
    }
    const etag = strongEtag(payload);
    reply.header('etag', etag);
    // A CDN may store a `public` answer even for a request with Authorization (RFC 9111
    // §3.5), and would then hand one caller's answer (drafts they may see) to everyone.
    const shared = !(alwaysPrivate || request.headers.authorization !== undefined);
    reply.header('cache-control', shared ? publicValue : privateValue);
    if (shared) {
      // Rate-limit headers describe this caller's budget: a CDN storing a public answer would
      // show them to everyone. The limit itself still applies (a 429 is never cached here).
      for (const name of RATE_LIMIT_HEADERS) reply.removeHeader(name);
    }
    // The ETag names these exact bytes: if a compressor ran before us, the answer depends on
    // Accept-Encoding too.
    mergeVary(reply, reply.hasHeader('content-encoding') ? [...vary, 'Accept-Encoding'] : vary);

    if (!ifNoneMatchMatches(request.headers['if-none-match'], etag)) return done(null, payload);
    // 304: ETag, Cache-Control and Vary stay (RFC 9110 §15.4.5); the body and what describes
    // it go. Security headers and the request id stay too.
    reply.code(304);
    reply.removeHeader('content-type');
    reply.removeHeader('content-length');
    reply.removeHeader('content-encoding');
    // HEAD: Fastify's own HEAD hook runs next and cannot take null; an empty string it turns
    // into `content-length: 0`, which stripHeadContentLength removes again.
    return done(null, method === 'HEAD' ? '' : null);
  };
}

const RATE_LIMIT_HEADERS = [
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
];

/** After Fastify's HEAD hook on a 304: no Content-Length describing a body that isn't there. */
function stripHeadContentLength(
  _request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: Error | null, payload?: unknown) => void,
) {
  if (reply.statusCode === 304) reply.removeHeader('content-length');
  done(null, payload);
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value];

const httpCachePlugin: FastifyPluginAsync = async (app) => {
  app.addHook('onRoute', (routeOptions: RouteOptions) => {
    const options = routeOptions.config?.httpCache;
    if (!options) return;
    validate(options, `${String(routeOptions.method)} ${routeOptions.url}`);
    const hook = buildHook(options);
    const onSend = asArray(routeOptions.onSend);
    // Fastify's automatic HEAD route ends its onSend list with a hook that drops the body;
    // ours must see the body first, so it goes just before that one.
    const last = onSend.at(-1);
    if (routeOptions.method === 'HEAD' && last?.name === 'headRouteOnSendHandler') {
      onSend.splice(onSend.length - 1, 0, hook);
      onSend.push(stripHeadContentLength);
    } else {
      onSend.push(hook);
    }
    routeOptions.onSend = onSend;
  });
};

/** Registers the `httpCache` route option for every route declared after it in this scope. */
export const httpCache = fp(httpCachePlugin, { name: '@meridian/http-cache', fastify: '5.x' });
