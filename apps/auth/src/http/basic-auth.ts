// HTTP Basic client authentication (RFC 6749 §2.3.1): the standard way an OAuth client sends
// its id and secret. Read by the token endpoint and by the per-account login limit.
import type { FastifyRequest } from 'fastify';

/** The client id and secret from an `Authorization: Basic` header, or null. */
export function basicCredentials(request: FastifyRequest): { id: string; secret: string } | null {
  const m = /^basic[ \t]+([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return null; // a malformed %-escape is bad input, never a 500
  }
}
