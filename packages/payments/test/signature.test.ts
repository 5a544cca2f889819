// Security: which webhooks the sandbox's verifier lets through. Each refusal carries the reason
// the endpoint logs; rotation accepts old and new secrets; re-serialized JSON is refused.
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSandboxProvider,
  signWebhookPayload,
  verifyWebhookSignature,
  WebhookSignatureError,
  type WebhookSignatureReason,
} from '../src/index.ts';
import { SECRET } from './helpers.ts';

const body = JSON.stringify({
  id: 'evt_sbx_1',
  type: 'payment.succeeded',
  providerPaymentId: 'pi_sbx_1',
  orderId: 'ord_1',
  amount: 1299,
  currency: 'EUR',
  occurredAt: '2026-01-01T00:00:00.000Z',
});
const now = () => Math.floor(Date.now() / 1000);

function reasonOf(fn: () => unknown): WebhookSignatureReason | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof WebhookSignatureError) return err.reason;
    throw err;
  }
}

const verify = (
  payload: string | Buffer,
  header: string | string[] | undefined,
  secrets: string | string[] = SECRET,
) => reasonOf(() => verifyWebhookSignature(payload, header, secrets));

describe('verifyWebhookSignature', () => {
  it('accepts a fresh signature over the exact body, as a string or a Buffer', () => {
    const header = signWebhookPayload(body, SECRET);
    expect(verify(body, header)).toBe('accepted');
    expect(verify(Buffer.from(body), header)).toBe('accepted');
  });

  it('rejects a signature made with another secret', () => {
    expect(verify(body, signWebhookPayload(body, 'whsec_attacker'))).toBe('signature-mismatch');
  });

  it('rejects a tampered body (one character changed)', () => {
    const header = signWebhookPayload(body, SECRET);
    expect(verify(body.replace('1299', '1298'), header)).toBe('signature-mismatch');
  });

  it('rejects the same JSON re-serialized: verify the raw bytes, never a parsed copy', () => {
    const header = signWebhookPayload(body, SECRET);
    expect(verify(JSON.stringify(JSON.parse(body), null, 2), header)).toBe('signature-mismatch');
  });

  it('rejects a replay older than the tolerance, and accepts one just inside it', () => {
    expect(verify(body, signWebhookPayload(body, SECRET, now() - 301))).toBe(
      'timestamp-outside-tolerance',
    );
    expect(verify(body, signWebhookPayload(body, SECRET, now() - 290))).toBe('accepted');
  });

  it('rejects a timestamp too far in the future', () => {
    expect(verify(body, signWebhookPayload(body, SECRET, now() + 3_600))).toBe(
      'timestamp-outside-tolerance',
    );
  });

  it('rejects a new timestamp pasted onto an old signature', () => {
    const old = now() - 3_600;
    const v1 = signWebhookPayload(body, SECRET, old).split(',')[1];
    expect(verify(body, `t=${now()},${v1}`)).toBe('signature-mismatch');
  });

  it('honours a custom tolerance', () => {
    const header = signWebhookPayload(body, SECRET, now() - 20);
    expect(reasonOf(() => verifyWebhookSignature(body, header, SECRET, { toleranceSec: 10 }))).toBe(
      'timestamp-outside-tolerance',
    );
  });

  it('rejects a missing, empty or repeated header', () => {
    expect(verify(body, undefined)).toBe('missing-header');
    expect(verify(body, '')).toBe('missing-header');
    const header = signWebhookPayload(body, SECRET);
    expect(verify(body, [header, header])).toBe('malformed-header');
  });

  it.each([
    ['garbage', 'not a signature'],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${Math.floor(Date.now() / 1000)}`],
    ['a bad timestamp', `t=soon,v1=${'a'.repeat(64)}`],
    ['two timestamps', `t=1,t=2,v1=${'a'.repeat(64)}`],
    ['a v1 that is not hex', `t=${Math.floor(Date.now() / 1000)},v1=zz`],
    ['only another scheme', `t=${Math.floor(Date.now() / 1000)},v0=${'a'.repeat(64)}`],
  ])('rejects a header with %s', (_what, header) => {
    expect(verify(body, header)).toBe('malformed-header');
  });

  describe('secret rotation', () => {
    const oldSecret = 'whsec_old_0000000000000000';
    const newSecret = 'whsec_new_1111111111111111';

    it('signs with every secret given, one v1 each', () => {
      expect(signWebhookPayload(body, [newSecret, oldSecret])).toMatch(
        /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/,
      );
    });

    it('a header with two v1 entries verifies with either secret alone', () => {
      const header = signWebhookPayload(body, [newSecret, oldSecret]);
      expect(verify(body, header, oldSecret)).toBe('accepted');
      expect(verify(body, header, newSecret)).toBe('accepted');
      expect(verify(body, header, 'whsec_third')).toBe('signature-mismatch');
    });

    it('a receiver holding both secrets accepts a header signed with either one', () => {
      expect(verify(body, signWebhookPayload(body, oldSecret), [newSecret, oldSecret])).toBe(
        'accepted',
      );
      expect(verify(body, signWebhookPayload(body, newSecret), [newSecret, oldSecret])).toBe(
        'accepted',
      );
    });
  });
});

describe('sandbox parseWebhook', () => {
  const sandbox = createSandboxProvider({
    webhookUrl: 'http://127.0.0.1:9/none',
    webhookSecret: SECRET,
  });
  afterAll(() => sandbox.close());

  it('reads the signature from the meridian-signature header and parses the event', () => {
    const event = sandbox.parseWebhook(Buffer.from(body), {
      'meridian-signature': signWebhookPayload(body, SECRET),
    });
    expect(event).toEqual({
      id: 'evt_sbx_1',
      type: 'payment.succeeded',
      providerPaymentId: 'pi_sbx_1',
      orderId: 'ord_1',
      amount: 1299,
      currency: 'EUR',
      occurredAt: new Date('2026-01-01T00:00:00.000Z'),
    });
  });

  it('rejects a request signed under another header name', () => {
    const headers = { 'stripe-signature': signWebhookPayload(body, SECRET) };
    expect(reasonOf(() => sandbox.parseWebhook(body, headers))).toBe('missing-header');
  });

  it('rejects a correctly signed body that is not an event', () => {
    for (const bad of ['not json', '{"id":"evt_1","type":"payment.succeeded"}']) {
      const headers = { 'meridian-signature': signWebhookPayload(bad, SECRET) };
      expect(reasonOf(() => sandbox.parseWebhook(bad, headers))).toBe('invalid-payload');
    }
  });

  it('returns null for an authentic event of a type it does not model', () => {
    const other = JSON.stringify({ ...JSON.parse(body), type: 'payment.disputed' });
    const headers = { 'meridian-signature': signWebhookPayload(other, SECRET) };
    expect(sandbox.parseWebhook(other, headers)).toBeNull();
  });
});
