// Security headers from helmet, computed ONCE. @fastify/helmet builds a new helmet middleware
// (and re-parses the CSP) on every request; with no per-request nonces the headers never
// change, so we let helmet produce them at start-up and copy them onto each reply: helmet's
// headers at a fraction of the cost (docs/performance.md). See docs/security-baseline.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/** Runs helmet once against a recording response and returns the headers it would set. */
export function helmetHeaders(options?: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader: () => undefined,
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return headers;
}

/**
 * Headers for a JSON API, after the OWASP REST Security Cheat Sheet: nothing on an API
 * response may be rendered, framed or sniffed. Helmet's HTML-page headers (DNS prefetch,
 * IE download options, origin-agent-cluster, COOP, Flash policies) have no effect on JSON and
 * only add bytes to every response. The Swagger UI page at /docs sets its own CSP.
 */
export const API_HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  frameguard: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

const securityHeadersPlugin: FastifyPluginAsync<{ helmet?: HelmetOptions }> = async (app, opts) => {
  const headers = helmetHeaders(opts.helmet ?? API_HELMET_OPTIONS);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
};

export const securityHeaders = fp(securityHeadersPlugin, {
  name: '@meridian/security-headers',
  fastify: '5.x',
});
