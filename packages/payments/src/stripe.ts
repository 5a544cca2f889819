// The Stripe adapter: the same PaymentProvider over the official SDK. Payment intents are
// created and confirmed server-side with a saved PaymentMethod token; webhooks are verified by
// the SDK's constructEvent. Card data never passes through Meridian (docs/payments.md#pci-scope).
import Stripe from 'stripe';
import {
  IdempotencyConflictError,
  InvalidPaymentRequestError,
  PaymentConfigError,
  PaymentNotFoundError,
  PaymentProviderError,
  PaymentStateError,
  UnknownPaymentMethodError,
  WebhookSignatureError,
  type WebhookSignatureReason,
} from './errors.ts';
import { webhookVerification } from './signature.ts';
import type {
  CancelPaymentResult,
  CreatePaymentInput,
  CreatePaymentResult,
  PaymentEvent,
  PaymentEventType,
  PaymentProvider,
  PaymentSnapshot,
  PaymentStatus,
  RefundPaymentInput,
  RefundPaymentResult,
  WebhookHeaders,
} from './types.ts';
import { assertAmount, assertIdempotencyKey, validateCreatePayment } from './validate.ts';

export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';

export interface StripeProviderOptions {
  /** sk_test_… or sk_live_… (STRIPE_SECRET_KEY). */
  secretKey: string;
  /** whsec_… (STRIPE_WEBHOOK_SECRET); several while rotating. */
  webhookSecret: string | readonly string[];
  /** Accepted age of a signature, in seconds (300). */
  toleranceSec?: number;
  /** Per request; the SDK's own default is 80 s, far too long inside a checkout (10 000). */
  timeoutMs?: number;
  /** SDK retries on network errors and 409/5xx, reusing the idempotency key (2). */
  maxNetworkRetries?: number;
  /** Another API endpoint (a local fake in tests, stripe-mock); https://api.stripe.com by default. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

export interface StripePaymentProvider extends PaymentProvider {
  readonly name: 'stripe';
}

const EVENT_TYPES: Partial<Record<Stripe.Event['type'], PaymentEventType>> = {
  'payment_intent.succeeded': 'payment.succeeded',
  'payment_intent.payment_failed': 'payment.failed',
  'payment_intent.canceled': 'payment.canceled',
};

function failureCodeOf(intent: Stripe.PaymentIntent): string {
  const err = intent.last_payment_error;
  return err?.decline_code || err?.code || 'payment_failed';
}

/** Stripe's seven intent states folded into four. */
export function mapIntentStatus(intent: Stripe.PaymentIntent): {
  status: PaymentStatus;
  failureCode?: string;
} {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'canceled':
      return { status: 'canceled' };
    case 'requires_payment_method':
      // After a confirm, this is how Stripe says "that attempt failed; try another method".
      return { status: 'failed', failureCode: failureCodeOf(intent) };
    case 'requires_action':
      // 3-D Secure or a redirect: needs the customer's browser, which a server-side confirm
      // does not have. Reported as failed rather than left pending forever.
      return { status: 'failed', failureCode: 'authentication_required' };
    default:
      // processing, requires_capture, requires_confirmation: the outcome comes by webhook.
      return { status: 'pending' };
  }
}

function translateError(
  err: unknown,
  context: { paymentId?: string; paymentMethod?: string; idempotencyKey?: string },
) {
  if (!(err instanceof Stripe.errors.StripeError)) {
    return new PaymentProviderError('Unexpected error from the Stripe SDK.', false, err);
  }
  switch (err.type) {
    case 'StripeInvalidRequestError':
      if (err.param === 'payment_method' && context.paymentMethod !== undefined) {
        return new UnknownPaymentMethodError(context.paymentMethod, err);
      }
      if (err.code === 'resource_missing' && context.paymentId !== undefined) {
        return new PaymentNotFoundError(context.paymentId, err);
      }
      if (
        err.code === 'payment_intent_unexpected_state' ||
        err.code === 'charge_already_refunded' ||
        err.code === 'amount_too_large'
      ) {
        return new PaymentStateError(context.paymentId ?? '', err.message, err);
      }
      return new InvalidPaymentRequestError(err.param ?? 'request', err.message);
    case 'StripeIdempotencyError':
      return new IdempotencyConflictError(context.idempotencyKey ?? '', err);
    case 'StripeConnectionError':
    case 'StripeAPIError':
    case 'StripeRateLimitError':
      return new PaymentProviderError(`Stripe is unavailable: ${err.message}`, true, err);
    default:
      // Authentication and permission errors are our configuration, not worth a retry.
      return new PaymentProviderError(`Stripe refused the request: ${err.message}`, false, err);
  }
}

function signatureReason(err: unknown): WebhookSignatureReason {
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('Timestamp outside the tolerance zone')) {
    return 'timestamp-outside-tolerance';
  }
  if (message.startsWith('No signatures found matching')) return 'signature-mismatch';
  if (
    message.startsWith('Unable to extract timestamp') ||
    message.startsWith('No signatures found with expected scheme')
  ) {
    return 'malformed-header';
  }
  if (message.startsWith('No stripe-signature header')) return 'missing-header';
  return 'invalid-payload';
}

export function createStripeProvider(options: StripeProviderOptions): StripePaymentProvider {
  if (!options.secretKey) throw new PaymentConfigError('The stripe provider needs secretKey.');
  // constructEvent treats a tolerance of 0 as "do not check the timestamp": never pass it.
  const { secrets, toleranceSec } = webhookVerification(
    options.webhookSecret,
    options.toleranceSec,
    'The stripe provider needs webhookSecret.',
  );

  // The SDK's apiVersion is left at the one this SDK release is pinned to (see README).
  const stripe = new Stripe(options.secretKey, {
    timeout: options.timeoutMs ?? 10_000,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    appInfo: { name: 'meridian-payments' },
    ...(options.host ? { host: options.host } : {}),
    ...(options.port ? { port: options.port } : {}),
    ...(options.protocol ? { protocol: options.protocol } : {}),
  });

  return {
    name: 'stripe',
    signatureHeader: STRIPE_SIGNATURE_HEADER,

    async createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult> {
      validateCreatePayment(input);
      let intent: Stripe.PaymentIntent;
      try {
        intent = await stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency.toLowerCase(),
            payment_method: input.paymentMethod,
            confirm: true,
            // Cards and other methods that need no redirect: there is no browser to return to.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            metadata: { ...input.metadata, orderId: input.orderId },
          },
          { idempotencyKey: input.idempotencyKey },
        );
      } catch (err) {
        // A decline is an answer, not an error: Stripe replies 402 with the failed intent.
        if (err instanceof Stripe.errors.StripeCardError && err.payment_intent) {
          return {
            providerPaymentId: err.payment_intent.id,
            status: 'failed',
            failureCode: err.decline_code || err.code || failureCodeOf(err.payment_intent),
          };
        }
        throw translateError(err, {
          paymentMethod: input.paymentMethod,
          idempotencyKey: input.idempotencyKey,
        });
      }
      const { status, failureCode } = mapIntentStatus(intent);
      return {
        providerPaymentId: intent.id,
        // A replayed key can return an intent canceled since; for the caller that is a failure.
        status: status === 'canceled' ? 'failed' : status,
        ...(status === 'canceled'
          ? { failureCode: 'canceled' }
          : failureCode
            ? { failureCode }
            : {}),
      };
    },

    async retrievePayment(providerPaymentId: string): Promise<PaymentSnapshot> {
      try {
        const intent = await stripe.paymentIntents.retrieve(providerPaymentId);
        return {
          providerPaymentId: intent.id,
          orderId: intent.metadata.orderId ?? null,
          amount: intent.amount,
          currency: intent.currency.toUpperCase(),
          ...mapIntentStatus(intent),
        };
      } catch (err) {
        throw translateError(err, { paymentId: providerPaymentId });
      }
    },

    async cancelPayment(providerPaymentId: string): Promise<CancelPaymentResult> {
      try {
        await stripe.paymentIntents.cancel(providerPaymentId);
      } catch (err) {
        // Stripe refuses to cancel twice; for a compensating step, already canceled is done.
        if (
          err instanceof Stripe.errors.StripeError &&
          err.code === 'payment_intent_unexpected_state' &&
          err.payment_intent?.status === 'canceled'
        ) {
          return { providerPaymentId, status: 'canceled' };
        }
        throw translateError(err, { paymentId: providerPaymentId });
      }
      return { providerPaymentId, status: 'canceled' };
    },

    async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentResult> {
      assertIdempotencyKey(input.idempotencyKey);
      if (input.amount !== undefined) assertAmount(input.amount);
      let refund: Stripe.Refund;
      try {
        refund = await stripe.refunds.create(
          {
            payment_intent: input.providerPaymentId,
            ...(input.amount !== undefined ? { amount: input.amount } : {}),
          },
          { idempotencyKey: input.idempotencyKey },
        );
      } catch (err) {
        throw translateError(err, {
          paymentId: input.providerPaymentId,
          idempotencyKey: input.idempotencyKey,
        });
      }
      const status =
        refund.status === 'succeeded'
          ? 'succeeded'
          : refund.status === 'failed' || refund.status === 'canceled'
            ? 'failed'
            : 'pending';
      return {
        providerRefundId: refund.id,
        providerPaymentId: input.providerPaymentId,
        amount: refund.amount,
        status,
      };
    },

    parseWebhook(rawBody: Buffer | string, headers: WebhookHeaders): PaymentEvent | null {
      const header = headers[STRIPE_SIGNATURE_HEADER];
      if (header === undefined || header === '') {
        throw new WebhookSignatureError('missing-header', 'The webhook has no Stripe-Signature.');
      }
      if (typeof header !== 'string') {
        throw new WebhookSignatureError('malformed-header', 'Stripe-Signature appears twice.');
      }
      let event: Stripe.Event | undefined;
      let failure: unknown;
      for (const secret of secrets) {
        try {
          event = stripe.webhooks.constructEvent(rawBody, header, secret, toleranceSec);
          break;
        } catch (err) {
          // Stripe checks the signature before the timestamp, so a tolerance failure means the
          // secret matched: keep it as the reason over another secret's mismatch.
          if (!failure || signatureReason(err) === 'timestamp-outside-tolerance') failure = err;
        }
      }
      if (!event) {
        const reason = signatureReason(failure);
        throw new WebhookSignatureError(reason, `Stripe webhook rejected (${reason}).`, failure);
      }
      return toPaymentEvent(event);
    },

    async close(): Promise<void> {},
  };
}

/** The three payment intent events this package models; null for every other type. */
export function toPaymentEvent(event: Stripe.Event): PaymentEvent | null {
  const type = EVENT_TYPES[event.type];
  if (
    !type ||
    (event.type !== 'payment_intent.succeeded' &&
      event.type !== 'payment_intent.payment_failed' &&
      event.type !== 'payment_intent.canceled')
  ) {
    return null;
  }
  const intent = event.data.object;
  const orderId = intent.metadata?.orderId;
  if (!orderId) return null; // not created by Meridian (dashboard, another integration)
  return {
    id: event.id,
    type,
    providerPaymentId: intent.id,
    orderId,
    amount: intent.amount,
    currency: intent.currency.toUpperCase(),
    ...(type === 'payment.failed' ? { failureCode: failureCodeOf(intent) } : {}),
    occurredAt: new Date(event.created * 1000),
  };
}
