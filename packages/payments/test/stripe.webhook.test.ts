// Security and mapping: the Stripe adapter's parseWebhook, offline, against signatures made
// by the SDK's own generateTestHeaderString; and proof that the sandbox's hand-written scheme
// is Stripe's, by checking each side's signatures with the other side's verifier.
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  createStripeProvider,
  signWebhookPayload,
  verifyWebhookSignature,
  WebhookSignatureError,
  type WebhookSignatureReason,
} from '../src/index.ts';

const WHSEC = 'whsec_test_0123456789abcdef0123456789abcdef';
const stripe = createStripeProvider({ secretKey: 'sk_test_offline', webhookSecret: WHSEC });
const created = 1_767_225_600; // 2026-01-01T00:00:00Z

function intentEvent(type: string, intent: Record<string, unknown> = {}, id = 'evt_1') {
  return JSON.stringify({
    id,
    object: 'event',
    type,
    created,
    livemode: false,
    api_version: Stripe.API_VERSION,
    data: {
      object: {
        id: 'pi_123',
        object: 'payment_intent',
        amount: 1299,
        currency: 'eur',
        status: 'succeeded',
        metadata: { orderId: 'ord_1' },
        last_payment_error: null,
        ...intent,
      },
    },
  });
}

const sign = (payload: string, secret = WHSEC, timestamp?: number) => ({
  'stripe-signature': Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestamp ? { timestamp } : {}),
  }),
});

function reasonOf(fn: () => unknown): WebhookSignatureReason | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof WebhookSignatureError) return err.reason;
    throw err;
  }
}

describe('stripe parseWebhook: mapping', () => {
  it('maps payment_intent.succeeded', () => {
    const payload = intentEvent('payment_intent.succeeded');
    expect(stripe.parseWebhook(Buffer.from(payload), sign(payload))).toEqual({
      id: 'evt_1',
      type: 'payment.succeeded',
      providerPaymentId: 'pi_123',
      orderId: 'ord_1',
      amount: 1299,
      currency: 'EUR',
      occurredAt: new Date('2026-01-01T00:00:00Z'),
    });
  });

  it('maps payment_intent.payment_failed with the decline code', () => {
    const payload = intentEvent('payment_intent.payment_failed', {
      status: 'requires_payment_method',
      last_payment_error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'insufficient_funds',
      },
    });
    expect(stripe.parseWebhook(payload, sign(payload))).toMatchObject({
      type: 'payment.failed',
      failureCode: 'insufficient_funds',
    });
  });

  it('maps payment_intent.canceled', () => {
    const payload = intentEvent('payment_intent.canceled', { status: 'canceled' });
    expect(stripe.parseWebhook(payload, sign(payload))).toMatchObject({ type: 'payment.canceled' });
  });

  it('returns null for other event types and for intents Meridian did not create', () => {
    const charge = intentEvent('charge.succeeded');
    expect(stripe.parseWebhook(charge, sign(charge))).toBeNull();
    const foreign = intentEvent('payment_intent.succeeded', { metadata: {} });
    expect(stripe.parseWebhook(foreign, sign(foreign))).toBeNull();
  });
});

describe('stripe parseWebhook: verification', () => {
  const payload = intentEvent('payment_intent.succeeded');

  it('rejects a tampered body', () => {
    const headers = sign(payload);
    const tampered = payload.replace('"amount":1299', '"amount":1');
    expect(reasonOf(() => stripe.parseWebhook(tampered, headers))).toBe('signature-mismatch');
  });

  it('rejects another secret', () => {
    expect(reasonOf(() => stripe.parseWebhook(payload, sign(payload, 'whsec_other')))).toBe(
      'signature-mismatch',
    );
  });

  it('rejects a timestamp outside the tolerance', () => {
    const old = Math.floor(Date.now() / 1000) - 301;
    expect(reasonOf(() => stripe.parseWebhook(payload, sign(payload, WHSEC, old)))).toBe(
      'timestamp-outside-tolerance',
    );
  });

  it('rejects a missing, repeated or garbled Stripe-Signature', () => {
    expect(reasonOf(() => stripe.parseWebhook(payload, {}))).toBe('missing-header');
    const { 'stripe-signature': h } = sign(payload);
    expect(reasonOf(() => stripe.parseWebhook(payload, { 'stripe-signature': [h, h] }))).toBe(
      'malformed-header',
    );
    expect(reasonOf(() => stripe.parseWebhook(payload, { 'stripe-signature': 'nonsense' }))).toBe(
      'malformed-header',
    );
  });

  it('with two secrets configured (rotation), accepts either, keeping the real failure reason', () => {
    const rotating = createStripeProvider({
      secretKey: 'sk_test_offline',
      webhookSecret: ['whsec_new', WHSEC],
    });
    expect(rotating.parseWebhook(payload, sign(payload))).toMatchObject({ id: 'evt_1' });
    expect(rotating.parseWebhook(payload, sign(payload, 'whsec_new'))).toMatchObject({
      id: 'evt_1',
    });
    const old = Math.floor(Date.now() / 1000) - 600;
    expect(reasonOf(() => rotating.parseWebhook(payload, sign(payload, WHSEC, old)))).toBe(
      'timestamp-outside-tolerance',
    );
  });
});

describe('the sandbox scheme is Stripe’s scheme', () => {
  const payload = intentEvent('payment_intent.succeeded');

  it('Stripe’s constructEvent accepts a header from signWebhookPayload', () => {
    const event = Stripe.webhooks.constructEvent(
      payload,
      signWebhookPayload(payload, WHSEC),
      WHSEC,
    );
    expect(event.id).toBe('evt_1');
  });

  it('verifyWebhookSignature accepts a header from generateTestHeaderString', () => {
    const { 'stripe-signature': header } = sign(payload);
    expect(() => verifyWebhookSignature(payload, header, WHSEC)).not.toThrow();
    expect(() => verifyWebhookSignature(`${payload} `, header, WHSEC)).toThrow(
      WebhookSignatureError,
    );
  });
});
