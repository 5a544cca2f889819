// Deprecation signalling for a /v1 route that has a successor: the headers a client (or its
// HTTP tooling) can act on without reading our docs, on every response of the route.
//   Deprecation (RFC 9745): `@<unix seconds>`, when the route was (or will be) deprecated.
//   Sunset (RFC 8594): an HTTP-date after which the route may stop answering.
//   Link: the successor (rel="successor-version"), so a client can find where to move.
import type { onSendHookHandler } from 'fastify';

export interface Deprecation {
  /** When the route is deprecated (may be in the future). */
  deprecatedAt: Date;
  /** When it may be removed; after deprecatedAt. */
  sunsetAt: Date;
  /** The path (or URL) of the representation that replaces it. */
  successor: string;
}

/** The three header values, computed once per route rather than per request. */
export function deprecationHeaders(d: Deprecation): Record<string, string> {
  if (d.sunsetAt <= d.deprecatedAt) throw new Error('Sunset must come after deprecation');
  return {
    deprecation: `@${Math.floor(d.deprecatedAt.getTime() / 1000)}`,
    // toUTCString() is the IMF-fixdate form HTTP-date requires: "Wed, 30 Jun 2027 00:00:00 GMT".
    sunset: d.sunsetAt.toUTCString(),
    link: `<${d.successor}>; rel="successor-version"`,
  };
}

/**
 * An onSend hook adding the headers. onSend, not onRequest: it runs for every reply of the
 * route, errors (a 401 for a bad token) included, and after the handler, so nothing resets it.
 */
export function deprecated(d: Deprecation): onSendHookHandler {
  const headers = deprecationHeaders(d);
  return (_request, reply, payload, done) => {
    reply.headers(headers);
    done(null, payload);
  };
}

/**
 * The headers as @fastify/swagger reads them from a response schema's `headers` keyword (one
 * JSON schema per header), so the deprecated route documents what it sends.
 */
export const deprecationHeaderDocs = {
  deprecation: {
    type: 'string',
    pattern: '^@\\d+$',
    description: 'RFC 9745: when this route was deprecated, as @<unix seconds>',
  },
  sunset: {
    type: 'string',
    description: 'RFC 8594: the HTTP-date after which this route may stop answering',
  },
  link: { type: 'string', description: 'The successor of this route (rel="successor-version")' },
};
