// The session cookie. Over HTTPS it is `__Host-meridian_session`: the prefix makes browsers
// insist on Secure, Path=/ and no Domain, so a sibling subdomain cannot plant or read it.
// Plain-HTTP local runs fall back to `meridian_session` (the prefix would be refused there).
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SECURE_COOKIE = '__Host-meridian_session';
export const PLAIN_COOKIE = 'meridian_session';

export type CookieSecureMode = 'auto' | 'always' | 'never';

export function isSecure(request: FastifyRequest, mode: CookieSecureMode): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return request.protocol === 'https'; // honours X-Forwarded-Proto from a trusted proxy
}

export function readSessionCookie(request: FastifyRequest): string | undefined {
  return request.cookies[SECURE_COOKIE] ?? request.cookies[PLAIN_COOKIE];
}

function options(secure: boolean, maxAgeSec: number): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSec };
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAgeSec: number,
  mode: CookieSecureMode,
): void {
  const secure = isSecure(request, mode);
  reply.setCookie(secure ? SECURE_COOKIE : PLAIN_COOKIE, token, options(secure, maxAgeSec));
}

export function clearSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  mode: CookieSecureMode,
): void {
  const secure = isSecure(request, mode);
  reply.clearCookie(secure ? SECURE_COOKIE : PLAIN_COOKIE, options(secure, 0));
}
