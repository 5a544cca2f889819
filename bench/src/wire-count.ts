// Counts what a service sends to Redis (RESP commands) and Postgres (protocol messages) by
// reading the client→server byte stream, so "commands and statements per request" is an exact
// count, not a guess from server-wide stats that other users of the machine also move.

export type Counts = Record<string, number>;

export interface StreamCounter {
  feed(chunk: Buffer): void;
}

const CRLF = Buffer.from('\r\n');

function bump(counts: Counts, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Counts Redis commands by name (GET, EVALSHA, …) in a client→server RESP stream. */
export class RespCounter implements StreamCounter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly counts: Counts) {}

  feed(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    // Each pass consumes at least one whole command or stops, so this ends.
    while (offset < this.pending.length) {
      const parsed = this.parseOne(offset);
      if (!parsed) break;
      bump(this.counts, parsed.name);
      offset = parsed.next;
    }
    this.pending = this.pending.subarray(offset);
  }

  // Returns the command name and where the next command starts, or null if incomplete.
  private parseOne(start: number): { name: string; next: number } | null {
    const buf = this.pending;
    const lineEnd = buf.indexOf(CRLF, start);
    if (lineEnd === -1) return null;
    if (buf[start] !== 0x2a /* '*' */) {
      // Inline command (redis-cli style): the name is the first word of the line.
      const word = buf.subarray(start, lineEnd).toString('latin1').trim().split(/\s+/)[0] ?? '';
      return { name: word.toUpperCase() || '(empty)', next: lineEnd + 2 };
    }
    const argc = Number(buf.subarray(start + 1, lineEnd).toString('latin1'));
    if (!Number.isInteger(argc) || argc < 0) throw new Error('RESP: bad array length');
    let pos = lineEnd + 2;
    let name = '';
    for (let i = 0; i < argc; i++) {
      const end = buf.indexOf(CRLF, pos);
      if (end === -1) return null;
      if (buf[pos] !== 0x24 /* '$' */) throw new Error('RESP: expected a bulk string');
      const len = Number(buf.subarray(pos + 1, end).toString('latin1'));
      if (!Number.isInteger(len) || len < 0) throw new Error('RESP: bad bulk length');
      const dataStart = end + 2;
      if (buf.length < dataStart + len + 2) return null;
      if (i === 0) name = buf.subarray(dataStart, dataStart + len).toString('latin1');
      pos = dataStart + len + 2;
    }
    return { name: name.toUpperCase(), next: pos };
  }
}

// Startup-phase request codes that are followed by another startup message, not by the
// typed protocol (SSLRequest, GSSENCRequest).
const NEGOTIATION_CODES = new Set([80877103, 80877104]);

export const PG_MESSAGE_NAMES: Readonly<Record<string, string>> = {
  Q: 'Query',
  P: 'Parse',
  B: 'Bind',
  E: 'Execute',
  D: 'Describe',
  S: 'Sync',
  H: 'Flush',
  C: 'Close',
  X: 'Terminate',
  p: 'Password',
  d: 'CopyData',
  c: 'CopyDone',
  f: 'CopyFail',
};

/**
 * Counts Postgres frontend messages by type (Query, Parse, Bind, Execute, …). A statement is a
 * simple Query or an extended-protocol Execute; see pgStatements().
 */
export class PgCounter implements StreamCounter {
  private pending: Buffer = Buffer.alloc(0);
  private startup = true;

  /** onMessage sees each typed message's body (e.g. a Query's or a Parse's SQL text). */
  constructor(
    private readonly counts: Counts,
    private readonly onMessage?: (name: string, body: Buffer) => void,
  ) {}

  feed(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    // Each pass consumes one whole message (length ≥ 4 is checked) or stops.
    while (offset < this.pending.length) {
      const buf = this.pending;
      if (this.startup) {
        if (buf.length - offset < 8) break;
        const len = buf.readInt32BE(offset);
        if (len < 8) throw new Error('Postgres: bad startup message length');
        if (buf.length - offset < len) break;
        const code = buf.readInt32BE(offset + 4);
        if (!NEGOTIATION_CODES.has(code)) this.startup = false;
        offset += len;
        continue;
      }
      if (buf.length - offset < 5) break;
      const type = String.fromCharCode(buf[offset] as number);
      const len = buf.readInt32BE(offset + 1);
      if (len < 4) throw new Error('Postgres: bad message length');
      if (buf.length - offset < 1 + len) break;
      const name = PG_MESSAGE_NAMES[type] ?? `'${type}'`;
      bump(this.counts, name);
      this.onMessage?.(name, buf.subarray(offset + 5, offset + 1 + len));
      offset += 1 + len;
    }
    this.pending = this.pending.subarray(offset);
  }
}

/** SQL statements in a set of Postgres message counts: simple queries plus executes. */
export function pgStatements(counts: Readonly<Counts>): number {
  return (counts.Query ?? 0) + (counts.Execute ?? 0);
}

export function total(counts: Readonly<Counts>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export function subtractCounts(after: Readonly<Counts>, before: Readonly<Counts>): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
