// The route hooks: a preHandler that claims the key (or replays, or refuses) before the
// handler runs, and an onSend that stores the response the handler produced (or releases the
// key when the answer was not final). Attach both to the unsafe routes that need them, after
// the auth hooks. See README.md and docs/idempotency.md.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import {
  IDEMPOTENCY_KEY_HEADER,
  keyInFlight,
  keyRequired,
  keyReused,
  REPLAYED_HEADER,
} from './errors.ts';
import { requestFingerprint } from './fingerprint.ts';
import { parseIdempotencyKey } from './key.ts';
import { type Outcome, requestsCounter } from './metrics.ts';
import {
  claimKey,
  completeKey,
  findKey,
  type IdempotencyDb,
  releaseKey,
  type StoredKey,
  takeOverKey,
} from './store.ts';
import type { IdempotencyTable, StoredHeaders } from './table.ts';

export interface IdempotencyOptions {
  /** The service's drizzle database (the pool, not a transaction). */
  db: IdempotencyDb;
  table: IdempotencyTable;
  /** How long a key is remembered and its response replayed (24 h). */
  windowMs?: number;
  /**
   * How long a request holds its key before another request may take it over (30 s). Longer
   * than the slowest the route can take, or a slow request is run twice.
   */
  leaseMs?: number;
  /** Without the header: true answers 400 (the default), false runs the route unprotected. */
  required?: boolean;
  /** Response headers stored and replayed besides content-type and location. */
  storeHeaders?: string[];
  /**
   * Whose key it is. Default: the caller's principal subject (`request.principal.subject`,
   * set by the kit's auth hooks), so one caller's key never replays to another.
   */
  owner?: (request: FastifyRequest) => string | null | undefined;
  /** prom-client registry for idempotency_requests_total{outcome} (app.metrics.registry). */
  registry?: Registry;
}

export interface IdempotencyHooks {
  preHandler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
  onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>;
}

interface Held {
  owner: string;
  key: string;
  lockId: string;
}

/** Statuses that are not a final answer: stored, a retry would get them forever. */
const TRANSIENT = new Set([408, 409, 425, 429]);
const isFinal = (status: number) => status >= 200 && status < 500 && !TRANSIENT.has(status);
/**
 * Retry-After on a 409. Most requests end well within a second, so the retry usually gets the
 * replay; the lease left (up to leaseMs) is only when a takeover would become possible.
 */
const RETRY_AFTER_SECONDS = 1;
/** Claim attempts before a request that keeps losing races is told to retry. */
const MAX_ATTEMPTS = 3;

function principalSubject(request: FastifyRequest): string | null {
  const { principal } = request as { principal?: { subject?: unknown } | null };
  return typeof principal?.subject === 'string' ? principal.subject : null;
}

/** The payload as stored text, or null if it cannot be replayed byte for byte. */
function storableBody(payload: unknown): string | null {
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) {
    const text = payload.toString('utf8');
    return Buffer.from(text, 'utf8').equals(payload) ? text : null;
  }
  return null; // a stream
}

function pickHeaders(reply: FastifyReply, names: readonly string[]): StoredHeaders {
  const out: StoredHeaders = {};
  for (const name of names) {
    const value = reply.getHeader(name);
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/** Builds the hooks for one or more routes; they share the table, options and counter. */
export function idempotency(opts: IdempotencyOptions): IdempotencyHooks {
  const { db, table, required = true } = opts;
  const windowMs = opts.windowMs ?? 24 * 3_600_000;
  const leaseMs = opts.leaseMs ?? 30_000;
  if (!(leaseMs > 0)) throw new RangeError('leaseMs must be positive');
  // A key that expired while its request still ran would be claimed afresh by a retry.
  if (!(windowMs > leaseMs)) throw new RangeError('windowMs must be longer than leaseMs');
  const headerNames = [
    ...new Set(
      ['content-type', 'location', ...(opts.storeHeaders ?? [])].map((h) => h.toLowerCase()),
    ),
  ];
  const ownerOf = opts.owner ?? principalSubject;
  const counter = opts.registry ? requestsCounter(opts.registry) : null;
  const count = (outcome: Outcome) => counter?.inc({ outcome });
  // The claim a request holds between preHandler and onSend.
  const held = new WeakMap<FastifyRequest, Held>();

  function replay(reply: FastifyReply, row: StoredKey): FastifyReply {
    // Sent as the stored string: Fastify does not serialize a string again, so the bytes
    // are the ones the first request got.
    return reply
      .code(row.responseStatus ?? 200)
      .headers(row.responseHeaders ?? {})
      .header(REPLAYED_HEADER, 'true')
      .send(row.responseBody ?? '');
  }

  async function preHandler(request: FastifyRequest, reply: FastifyReply) {
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    if (key === null) {
      if (required) throw keyRequired();
      return;
    }
    const owner = ownerOf(request);
    if (!owner) {
      // A wiring bug, not the client's: the auth hook must run first (or pass `owner`).
      throw new Error('idempotency: no owner for this request; run an auth hook before it');
    }
    const fingerprint = requestFingerprint({
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      params: request.params,
      query: request.query,
      body: request.body,
    });
    const claim = { owner, key, fingerprint, lockId: randomUUID(), leaseMs, windowMs };

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await claimKey(db, table, claim)) {
        count('new');
        held.set(request, claim);
        return;
      }
      const row = await findKey(db, table, owner, key);
      // Gone (released after a 5xx) or expired since the claim: claim again.
      if (row === null || (row.expired && !row.leased)) continue;
      if (row.fingerprint !== fingerprint) {
        count('mismatch');
        throw keyReused();
      }
      if (row.state === 'completed') {
        count('replayed');
        return replay(reply, row);
      }
      if (row.leased) {
        count('in_flight');
        throw keyInFlight(RETRY_AFTER_SECONDS);
      }
      if (await takeOverKey(db, table, claim)) {
        count('taken_over');
        request.log.warn(
          { idempotencyKey: key },
          'idempotency key taken over after its lease ran out',
        );
        held.set(request, claim);
        return;
      }
      // Another request took it over first: the next look finds its lease.
    }
    count('in_flight');
    throw keyInFlight(RETRY_AFTER_SECONDS);
  }

  async function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const claim = held.get(request);
    if (!claim) return payload;
    held.delete(request);
    const status = reply.statusCode;
    const body = storableBody(payload);
    try {
      if (isFinal(status) && body !== null) {
        const stored = await completeKey(db, table, claim, {
          status,
          headers: pickHeaders(reply, headerNames),
          body,
        });
        if (!stored) {
          request.log.warn(
            { idempotencyKey: claim.key },
            'idempotency key was taken over while this request ran; its response is not stored',
          );
        }
      } else {
        if (isFinal(status)) {
          request.log.error(
            { idempotencyKey: claim.key },
            'a streamed response cannot be replayed; idempotency key released',
          );
        }
        // Not a final answer (5xx, 408, 409, 425, 429): the next request with the key runs afresh.
        await releaseKey(db, table, claim);
      }
    } catch (err) {
      // The client still gets the answer; the key stays in flight until its lease runs out.
      request.log.error({ err, idempotencyKey: claim.key }, 'idempotency key could not be updated');
    }
    return payload;
  }

  return { preHandler, onSend };
}
