// Reading the Idempotency-Key header. The draft defines it as a Structured Field string
// (RFC 8941: `Idempotency-Key: "8e03978e-…"`); most clients, Stripe's among them, send the bare
// value. Both are accepted, and both name the same key.
import { keyInvalid, MAX_KEY_LENGTH } from './errors.ts';

const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * The key, null when the header is absent; throws a 400 AppError when it is present but
 * empty, longer than MAX_KEY_LENGTH, or not printable ASCII.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  // Node joins repeated unknown headers with ", ", but a string[] can come from elsewhere.
  if (Array.isArray(header)) throw keyInvalid('it must be sent once');
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = unquote(key.slice(1, -1));
  if (key.length === 0) throw keyInvalid('it is empty');
  if (key.length > MAX_KEY_LENGTH)
    throw keyInvalid(`it is longer than ${MAX_KEY_LENGTH} characters`);
  if (!PRINTABLE.test(key)) throw keyInvalid('it may contain printable ASCII characters only');
  return key;
}

/** An sf-string's content: the only escapes are \" and \\; a bare quote or another escape is malformed. */
function unquote(inner: string): string {
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '"') throw keyInvalid('it is not a valid quoted string');
    if (c === '\\') {
      const next = inner[i + 1];
      if (next !== '"' && next !== '\\') throw keyInvalid('it is not a valid quoted string');
      out += next;
      i++;
    } else {
      out += c;
    }
  }
  return out;
}
