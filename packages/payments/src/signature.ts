// The sandbox's webhook signature, Stripe's scheme written out by hand so it can be read:
// header `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, one v1 per
// secret while a secret is being rotated. See docs/payments.md#the-signature.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PaymentConfigError, WebhookSignatureError } from './errors.ts';

export const SANDBOX_SIGNATURE_HEADER = 'meridian-signature';
export const DEFAULT_TOLERANCE_SEC = 300;

const SCHEME = 'v1';
const DIGEST_BYTES = 32;

function secretList(secrets: string | readonly string[]): readonly string[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new TypeError('A webhook secret must be a non-empty string.');
  }
  return list;
}

function hmac(secret: string, timestamp: number, payload: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest();
}

/** Builds the header value; signs with every secret given (the new one first while rotating). */
export function signWebhookPayload(
  payload: Buffer | string,
  secrets: string | readonly string[],
  timestamp: number = Math.floor(Date.now() / 1000),
): string {
  const parts = secretList(secrets).map(
    (secret) => `${SCHEME}=${hmac(secret, timestamp, payload).toString('hex')}`,
  );
  return [`t=${timestamp}`, ...parts].join(',');
}

/**
 * The secrets and timestamp tolerance a provider verifies its webhooks with, checked once when
 * the provider is made: a missing secret, or a tolerance that is not a positive whole number of
 * seconds (0 would switch Stripe's timestamp check off), is a configuration error at startup.
 */
export function webhookVerification(
  webhookSecret: string | readonly string[],
  toleranceSec: number | undefined,
  missingSecret: string,
): { secrets: string[]; toleranceSec: number } {
  const secrets = typeof webhookSecret === 'string' ? [webhookSecret] : [...webhookSecret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new PaymentConfigError(missingSecret);
  }
  const tolerance = toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (!Number.isInteger(tolerance) || tolerance <= 0) {
    throw new PaymentConfigError('toleranceSec must be a positive integer.');
  }
  return { secrets, toleranceSec: tolerance };
}

export interface VerifyOptions {
  /** Largest accepted distance, in seconds, between the signed timestamp and now (300). */
  toleranceSec?: number;
  /** Current time in unix seconds; for tests. */
  now?: number;
}

function parseHeader(header: string): { timestamp: number; signatures: Buffer[] } {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new WebhookSignatureError(
        'malformed-header',
        'Signature header item is not key=value.',
      );
    }
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) {
        throw new WebhookSignatureError(
          'malformed-header',
          'Signature header has a bad timestamp.',
        );
      }
      timestamp = Number(value);
    } else if (key === SCHEME) {
      // A v1 that is not 64 hex digits can never match; skipping it keeps the compare simple.
      if (/^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (Stripe's test-mode v0) are ignored, as Stripe's own libraries do.
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookSignatureError(
      'malformed-header',
      `Signature header needs t= and at least one well-formed ${SCHEME}=.`,
    );
  }
  return { timestamp, signatures };
}

/**
 * Throws WebhookSignatureError unless some v1 in the header is the HMAC of this exact body
 * under some secret, and the signed timestamp is within the tolerance of now.
 */
export function verifyWebhookSignature(
  payload: Buffer | string,
  header: string | string[] | undefined,
  secrets: string | readonly string[],
  options: VerifyOptions = {},
): void {
  const toleranceSec = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (header === undefined || header === '') {
    throw new WebhookSignatureError('missing-header', 'The webhook has no signature header.');
  }
  if (typeof header !== 'string') {
    throw new WebhookSignatureError('malformed-header', 'The signature header appears twice.');
  }
  const { timestamp, signatures } = parseHeader(header);

  // Every secret against every signature, without an early exit, so the time taken does not
  // say which comparison matched; timingSafeEqual hides where inside a digest a mismatch is.
  let matched = false;
  for (const secret of secretList(secrets)) {
    const expected = hmac(secret, timestamp, payload);
    for (const candidate of signatures) {
      if (candidate.length === DIGEST_BYTES && timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  if (!matched) {
    throw new WebhookSignatureError(
      'signature-mismatch',
      'No signature matches this body: wrong secret, or the body was changed (or re-serialized).',
    );
  }

  // The timestamp is only meaningful once the signature proves it was not edited.
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > toleranceSec) {
    throw new WebhookSignatureError(
      'timestamp-outside-tolerance',
      `The signature is ${now - timestamp} s old; at most ${toleranceSec} s is accepted.`,
    );
  }
}
