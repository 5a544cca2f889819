// Request ids: trust a caller's x-request-id only when it looks like an id (bounded length,
// safe characters), otherwise make one; echo it on every response so a client can quote it.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function genReqId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  if (typeof incoming === 'string' && SAFE_ID.test(incoming)) return incoming;
  return randomUUID();
}

const requestIdPlugin: FastifyPluginAsync = async (app) => {
  // Callback-style hooks here and in the other per-request plugins: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
};

export default fp(requestIdPlugin, { name: '@meridian/request-id', fastify: '5.x' });
