// What the checkout suite counts on the wire besides wire-count.ts's message totals: the SQL
// verb of each statement (from the text of a Query or a Parse message), transactions (BEGIN,
// COMMIT, ROLLBACK) and round trips (a Query or a Sync waits for ReadyForQuery), and HTTP/1.1
// requests by method and route (orders → catalog, the sandbox's webhooks → orders). Pure.
import type { Counts, StreamCounter } from './wire-count.ts';

function bump(counts: Counts, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The first keyword of a SQL text, upper-cased: SELECT, INSERT, BEGIN, … ('?' when none). */
export function sqlVerb(sql: string): string {
  // Skip leading blanks, comments and opening parentheses: `(select …) union …`.
  const text = sql.replace(/^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/|\()*/, '');
  const m = /^[a-zA-Z]+/.exec(text);
  return m ? m[0].toUpperCase() : '?';
}

/** A C string at the start of buf, and where what follows it starts. */
function cstring(buf: Buffer, from = 0): { text: string; next: number } {
  const end = buf.indexOf(0, from);
  const stop = end === -1 ? buf.length : end;
  return { text: buf.subarray(from, stop).toString('utf8'), next: stop + 1 };
}

/**
 * A PgCounter onMessage hook that tallies SQL by kind into `counts`:
 *  - `tx:BEGIN` / `tx:COMMIT` / `tx:ROLLBACK` for those statements;
 *  - `sql:<VERB>` for every other statement, from a simple Query's text or a Parse's (the
 *    pg driver sends a Parse for each unnamed statement; a named one, parsed once per
 *    connection, would be counted once: the totals in wire-count.ts count its executions);
 *  - `roundTrips`: a Query or a Sync, each of which the server answers with ReadyForQuery.
 */
export function sqlKinds(counts: Counts): (name: string, body: Buffer) => void {
  return (name, body) => {
    if (name === 'Sync') bump(counts, 'roundTrips');
    let sql: string | null = null;
    if (name === 'Query') {
      bump(counts, 'roundTrips');
      sql = cstring(body).text;
    } else if (name === 'Parse') {
      sql = cstring(body, cstring(body).next).text;
    }
    if (sql === null) return;
    const verb = sqlVerb(sql);
    if (verb === 'BEGIN' || verb === 'START') bump(counts, 'tx:BEGIN');
    else if (verb === 'COMMIT' || verb === 'END') bump(counts, 'tx:COMMIT');
    else if (verb === 'ROLLBACK') bump(counts, 'tx:ROLLBACK');
    else bump(counts, `sql:${verb}`);
  };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `POST /v1/inventory/reservations/<uuid>/confirm?x` → `POST /v1/inventory/reservations/:id/confirm`. */
export function routeKey(method: string, target: string): string {
  const path = target.split('?')[0] ?? target;
  return `${method} ${path.replace(UUID, ':id')}`;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/**
 * Counts HTTP/1.1 requests in a client→server byte stream by routeKey, across keep-alive:
 * reads each head, then skips a Content-Length body or a chunked one.
 */
export class HttpCounter implements StreamCounter {
  private pending: Buffer = Buffer.alloc(0);
  /** Body bytes still to skip (Content-Length), or 'chunked' while inside a chunked body. */
  private body: number | 'chunked' = 0;

  constructor(private readonly counts: Counts) {}

  feed(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      if (typeof this.body === 'number' && this.body > 0) {
        const take = Math.min(this.body, this.pending.length - offset);
        this.body -= take;
        offset += take;
        if (this.body > 0) break;
        continue;
      }
      if (this.body === 'chunked') {
        const next = this.skipChunk(offset);
        if (next === null) break;
        offset = next;
        continue;
      }
      const end = this.pending.indexOf(HEAD_END, offset);
      if (end === -1) break;
      const head = this.pending.subarray(offset, end).toString('latin1').split('\r\n');
      const [method, target] = (head[0] ?? '').split(' ');
      if (!method || !target) throw new Error('HTTP: bad request line');
      bump(this.counts, routeKey(method, target));
      let length = 0;
      let chunked = false;
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'content-length') length = Number(value);
        if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
      }
      if (!Number.isInteger(length) || length < 0) throw new Error('HTTP: bad Content-Length');
      this.body = chunked ? 'chunked' : length;
      offset = end + HEAD_END.length;
    }
    this.pending = this.pending.subarray(offset);
  }

  // One chunk (size line, data, CRLF) from offset; the last (size 0) ends the body. Trailers
  // are not supported (no client here sends them). Null when the chunk is not all here yet.
  private skipChunk(offset: number): number | null {
    const lineEnd = this.pending.indexOf(CRLF, offset);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(
      this.pending.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '',
      16,
    );
    if (!Number.isInteger(size) || size < 0) throw new Error('HTTP: bad chunk size');
    const next = lineEnd + 2 + size + 2;
    if (this.pending.length < next) return null;
    if (size === 0) this.body = 0;
    return next;
  }
}
