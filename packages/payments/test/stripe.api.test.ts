// The Stripe adapter's outgoing requests, against a local Fastify server impersonating the
// Stripe API over plain HTTP on loopback: the form fields and Idempotency-Key it sends, and how
// it maps answers (success, 402 decline, unknown method, 5xx) into the neutral types.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createStripeProvider,
  IdempotencyConflictError,
  PaymentNotFoundError,
  PaymentProviderError,
  PaymentStateError,
  type StripePaymentProvider,
  UnknownPaymentMethodError,
} from '../src/index.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
}

const seen: Seen[] = [];
let failNext = 0;
let api: FastifyInstance;
let stripe: StripePaymentProvider;

const intent = (fields: Record<string, unknown>) => ({
  id: 'pi_123',
  object: 'payment_intent',
  amount: 1299,
  currency: 'eur',
  status: 'succeeded',
  metadata: { orderId: 'ord_1' },
  last_payment_error: null,
  ...fields,
});

const stripeError = (error: Record<string, unknown>) => ({ error: { message: 'fake', ...error } });

beforeAll(async () => {
  api = Fastify();
  api.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  api.addHook('preHandler', async (req) => {
    seen.push({
      method: req.method,
      url: req.url,
      headers: req.headers,
      form: (req.body as Record<string, string> | undefined) ?? {},
    });
  });
  api.post('/v1/payment_intents', async (req, reply) => {
    const form = req.body as Record<string, string>;
    if (failNext > 0) {
      failNext -= 1;
      return reply.code(500).send(stripeError({ type: 'api_error' }));
    }
    if (req.headers['idempotency-key'] === 'reused-key') {
      return reply.code(400).send(stripeError({ type: 'idempotency_error' }));
    }
    const base = {
      amount: Number(form.amount),
      currency: form.currency,
      metadata: { orderId: form['metadata[orderId]'] },
    };
    switch (form.payment_method) {
      case 'pm_card_visa':
        return intent({ ...base, id: 'pi_visa' });
      case 'pm_card_processing':
        return intent({ ...base, status: 'processing' });
      case 'pm_card_threeDSecureRequired':
        return intent({ ...base, status: 'requires_action' });
      case 'pm_card_chargeDeclinedInsufficientFunds':
        // What Stripe does on a decline with confirm=true: 402 and the failed intent.
        return reply.code(402).send(
          stripeError({
            type: 'card_error',
            code: 'card_declined',
            decline_code: 'insufficient_funds',
            payment_intent: intent({
              ...base,
              id: 'pi_declined',
              status: 'requires_payment_method',
            }),
          }),
        );
      default:
        return reply.code(400).send(
          stripeError({
            type: 'invalid_request_error',
            code: 'resource_missing',
            param: 'payment_method',
          }),
        );
    }
  });
  api.get('/v1/payment_intents/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (id === 'pi_missing') {
      return reply
        .code(404)
        .send(
          stripeError({ type: 'invalid_request_error', code: 'resource_missing', param: 'intent' }),
        );
    }
    return intent({
      id,
      status: 'requires_payment_method',
      last_payment_error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
      },
    });
  });
  api.post('/v1/payment_intents/:id/cancel', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (id === 'pi_succeeded' || id === 'pi_canceled') {
      return reply.code(400).send(
        stripeError({
          type: 'invalid_request_error',
          code: 'payment_intent_unexpected_state',
          payment_intent: intent({ id, status: id === 'pi_succeeded' ? 'succeeded' : 'canceled' }),
        }),
      );
    }
    return intent({ id, status: 'canceled' });
  });
  api.post('/v1/refunds', async (req) => {
    const form = req.body as Record<string, string>;
    return {
      id: 're_1',
      object: 'refund',
      amount: Number(form.amount ?? 1299),
      status: 'pending',
      payment_intent: form.payment_intent,
    };
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.server.address() as { port: number };
  stripe = createStripeProvider({
    secretKey: 'sk_test_fake_key',
    webhookSecret: 'whsec_unused',
    host: '127.0.0.1',
    port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
});

afterAll(() => api.close());
beforeEach(() => {
  seen.length = 0;
  failNext = 0;
});

const input = (paymentMethod: string) => ({
  orderId: 'ord_1',
  amount: 1299,
  currency: 'EUR',
  paymentMethod,
  idempotencyKey: 'order-ord_1-payment',
  metadata: { cartId: 'cart_9' },
});

describe('stripe createPayment', () => {
  it('creates and confirms a payment intent: form fields, key, auth', async () => {
    const result = await stripe.createPayment(input('pm_card_visa'));
    expect(result).toEqual({ providerPaymentId: 'pi_visa', status: 'succeeded' });

    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/payment_intents');
    expect(req?.headers['idempotency-key']).toBe('order-ord_1-payment');
    expect(req?.headers.authorization).toBe('Bearer sk_test_fake_key');
    expect(req?.form).toEqual({
      amount: '1299',
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      'automatic_payment_methods[enabled]': 'true',
      'automatic_payment_methods[allow_redirects]': 'never',
      'metadata[cartId]': 'cart_9',
      'metadata[orderId]': 'ord_1',
    });
  });

  it('maps a 402 decline to a failed result with the decline code, not an exception', async () => {
    expect(await stripe.createPayment(input('pm_card_chargeDeclinedInsufficientFunds'))).toEqual({
      providerPaymentId: 'pi_declined',
      status: 'failed',
      failureCode: 'insufficient_funds',
    });
  });

  it('maps processing to pending and requires_action to failed', async () => {
    expect(await stripe.createPayment(input('pm_card_processing'))).toMatchObject({
      status: 'pending',
    });
    expect(await stripe.createPayment(input('pm_card_threeDSecureRequired'))).toMatchObject({
      status: 'failed',
      failureCode: 'authentication_required',
    });
  });

  it('maps an unknown payment method to UnknownPaymentMethodError', async () => {
    await expect(stripe.createPayment(input('pm_card_nope'))).rejects.toBeInstanceOf(
      UnknownPaymentMethodError,
    );
  });

  it('never sends a card number: refused before any request', async () => {
    await expect(stripe.createPayment(input('4242424242424242'))).rejects.toBeInstanceOf(
      UnknownPaymentMethodError,
    );
    expect(seen).toHaveLength(0);
  });

  it('maps an idempotency_error to IdempotencyConflictError', async () => {
    const err = await stripe
      .createPayment({ ...input('pm_card_visa'), idempotencyKey: 'reused-key' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    expect(err.idempotencyKey).toBe('reused-key');
  });

  it('maps a 5xx to a retryable PaymentProviderError', async () => {
    failNext = 1;
    const err = await stripe.createPayment(input('pm_card_visa')).catch((e) => e);
    expect(err).toBeInstanceOf(PaymentProviderError);
    expect(err.retryable).toBe(true);
  });

  it('when the SDK retries a 5xx itself, it resends the same Idempotency-Key', async () => {
    const { port } = api.server.address() as { port: number };
    const retrying = createStripeProvider({
      secretKey: 'sk_test_fake_key',
      webhookSecret: 'whsec_unused',
      host: '127.0.0.1',
      port,
      protocol: 'http',
      maxNetworkRetries: 1,
    });
    failNext = 1;
    expect(await retrying.createPayment(input('pm_card_visa'))).toMatchObject({
      status: 'succeeded',
    });
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual([
      'order-ord_1-payment',
      'order-ord_1-payment',
    ]);
  });
});

describe('stripe retrieve, cancel, refund', () => {
  it('retrieves an intent and maps it', async () => {
    expect(await stripe.retrievePayment('pi_7')).toEqual({
      providerPaymentId: 'pi_7',
      orderId: 'ord_1',
      amount: 1299,
      currency: 'EUR',
      status: 'failed',
      failureCode: 'generic_decline',
    });
    await expect(stripe.retrievePayment('pi_missing')).rejects.toBeInstanceOf(PaymentNotFoundError);
  });

  it('cancels; an already canceled intent counts as done; a succeeded one is a state error', async () => {
    expect(await stripe.cancelPayment('pi_open')).toEqual({
      providerPaymentId: 'pi_open',
      status: 'canceled',
    });
    expect(seen[0]?.url).toBe('/v1/payment_intents/pi_open/cancel');
    expect(await stripe.cancelPayment('pi_canceled')).toMatchObject({ status: 'canceled' });
    await expect(stripe.cancelPayment('pi_succeeded')).rejects.toBeInstanceOf(PaymentStateError);
  });

  it('refunds with the payment intent, amount and Idempotency-Key', async () => {
    const refund = await stripe.refundPayment({
      providerPaymentId: 'pi_visa',
      amount: 500,
      idempotencyKey: 'order-ord_1-refund',
    });
    expect(refund).toEqual({
      providerRefundId: 're_1',
      providerPaymentId: 'pi_visa',
      amount: 500,
      status: 'pending',
    });
    expect(seen[0]?.url).toBe('/v1/refunds');
    expect(seen[0]?.form).toEqual({ payment_intent: 'pi_visa', amount: '500' });
    expect(seen[0]?.headers['idempotency-key']).toBe('order-ord_1-refund');
  });
});
