// The sandbox: a simulated card processor in the orders process, so the whole payment flow
// (pending → signed webhook → dedup → order state) runs with no account and no network.
// It behaves like a real processor where it matters: the outcome arrives later by HTTP, signed,
// retried with backoff until a 2xx, and sometimes twice. Payments live in memory only.
import { randomBytes } from 'node:crypto';
import {
  IdempotencyConflictError,
  PaymentConfigError,
  PaymentNotFoundError,
  PaymentProviderError,
  PaymentStateError,
  UnknownPaymentMethodError,
  WebhookSignatureError,
} from './errors.ts';
import {
  SANDBOX_SIGNATURE_HEADER,
  signWebhookPayload,
  verifyWebhookSignature,
  webhookVerification,
} from './signature.ts';
import {
  type CancelPaymentResult,
  type CreatePaymentInput,
  type CreatePaymentResult,
  noopLogger,
  type PaymentEvent,
  type PaymentEventType,
  type PaymentProvider,
  type PaymentSnapshot,
  type PaymentStatus,
  type PaymentsLogger,
  type RefundPaymentInput,
  type RefundPaymentResult,
  type WebhookHeaders,
} from './types.ts';
import {
  assertAmount,
  assertIdempotencyKey,
  TEST_PAYMENT_METHODS,
  type TestPaymentMethod,
  validateCreatePayment,
} from './validate.ts';

export interface SandboxOptions {
  /** Where outcomes are POSTed: the orders service's webhook endpoint. */
  webhookUrl: string;
  /** Signs outgoing and verifies incoming webhooks. Several while rotating: new one first. */
  webhookSecret: string | readonly string[];
  /** Accepted age of a signature, in seconds (300). */
  toleranceSec?: number;
  /** Delay before a normal test card's outcome is sent (50 ms). */
  outcomeDelayMs?: number;
  /** Delay before pm_card_delayed's outcome is sent (2000 ms). */
  delayedOutcomeDelayMs?: number;
  /** Delivery attempts per event, the first included, before giving up (5). */
  maxDeliveryAttempts?: number;
  /** Wait before retry n: retryBaseMs × 2^(n − 1), at most retryMaxMs (500 ms, 30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** An attempt that takes longer counts as failed, as a processor would treat it (5000 ms). */
  deliveryTimeoutMs?: number;
  /**
   * Deliver a delivered event once more, same id and body, freshly signed: true for every
   * event, a number in [0, 1] for that share of them. Exercises the receiver's dedup (false).
   */
  duplicateDeliveries?: boolean | number;
  log?: PaymentsLogger;
}

export interface SandboxPaymentProvider extends PaymentProvider {
  readonly name: 'sandbox';
}

interface SandboxPayment {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  paymentMethod: TestPaymentMethod;
  status: PaymentStatus;
  failureCode?: string;
  refunded: number;
  outcomeTimer?: NodeJS.Timeout;
}

/** What an idempotency key was first used for, and the answer it got. */
interface KeyRecord {
  fingerprint: string;
  result: CreatePaymentResult | RefundPaymentResult;
}

const EVENT_TYPES: readonly PaymentEventType[] = [
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
];

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) {
    throw new PaymentConfigError(`Sandbox option ${name} must be a number >= 0.`);
  }
  return v;
}

export function createSandboxProvider(options: SandboxOptions): SandboxPaymentProvider {
  let url: URL;
  try {
    url = new URL(options.webhookUrl);
  } catch {
    throw new PaymentConfigError('The sandbox needs webhookUrl, an absolute http(s) URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PaymentConfigError('The sandbox webhookUrl must be http or https.');
  }
  const { secrets, toleranceSec } = webhookVerification(
    options.webhookSecret,
    options.toleranceSec,
    'The sandbox needs webhookSecret (PAYMENT_WEBHOOK_SECRET).',
  );
  const outcomeDelayMs = nonNegative('outcomeDelayMs', options.outcomeDelayMs, 50);
  const delayedOutcomeDelayMs = nonNegative(
    'delayedOutcomeDelayMs',
    options.delayedOutcomeDelayMs,
    2_000,
  );
  const maxAttempts = Math.max(
    1,
    Math.floor(nonNegative('maxDeliveryAttempts', options.maxDeliveryAttempts, 5)),
  );
  const retryBaseMs = nonNegative('retryBaseMs', options.retryBaseMs, 500);
  const retryMaxMs = nonNegative('retryMaxMs', options.retryMaxMs, 30_000);
  const deliveryTimeoutMs = nonNegative('deliveryTimeoutMs', options.deliveryTimeoutMs, 5_000);
  const dup = options.duplicateDeliveries;
  const duplicateShare =
    dup === true ? 1 : typeof dup === 'number' ? Math.min(Math.max(dup, 0), 1) : 0;
  const log = options.log ?? noopLogger;

  const payments = new Map<string, SandboxPayment>();
  const keys = new Map<string, KeyRecord>();
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<Promise<void>>();
  const shutdown = new AbortController();
  let closed = false;

  function later(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (closed) return undefined;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return timer;
  }

  function assertOpen(): void {
    if (closed) throw new PaymentProviderError('The sandbox provider is closed.', false);
  }

  function find(providerPaymentId: string): SandboxPayment {
    const payment = payments.get(providerPaymentId);
    if (!payment) throw new PaymentNotFoundError(providerPaymentId);
    return payment;
  }

  /** Same key and same parameters: the first answer. Same key, other parameters: a conflict. */
  function replay<T extends KeyRecord['result']>(key: string, fingerprint: string): T | undefined {
    const record = keys.get(key);
    if (!record) return undefined;
    if (record.fingerprint !== fingerprint) throw new IdempotencyConflictError(key);
    return record.result as T;
  }

  // --- delivery: at least once, with exponential backoff ----------------------------------

  function emit(payment: SandboxPayment, type: PaymentEventType): void {
    const event = {
      id: newId('evt_sbx'),
      type,
      providerPaymentId: payment.id,
      orderId: payment.orderId,
      amount: payment.amount,
      currency: payment.currency,
      ...(payment.failureCode ? { failureCode: payment.failureCode } : {}),
      occurredAt: new Date().toISOString(),
    };
    // Serialized once: every attempt and every duplicate carries the same bytes and event id.
    send(event.id, type, JSON.stringify(event), 1, false);
  }

  function send(eventId: string, type: string, body: string, attempt: number, duplicate: boolean) {
    if (closed) return;
    const task = attemptDelivery(eventId, type, body, attempt, duplicate)
      .catch(() => {}) // only a throwing logger gets here; never an unhandled rejection
      .finally(() => inflight.delete(task));
    inflight.add(task);
  }

  async function attemptDelivery(
    eventId: string,
    type: string,
    body: string,
    attempt: number,
    duplicate: boolean,
  ): Promise<void> {
    let failure: string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'meridian-payments-sandbox',
          // Signed per attempt, as processors do: a retry hours later still passes tolerance.
          [SANDBOX_SIGNATURE_HEADER]: signWebhookPayload(body, secrets),
        },
        body,
        signal: AbortSignal.any([shutdown.signal, AbortSignal.timeout(deliveryTimeoutMs)]),
      });
      await res.arrayBuffer(); // drain, so the connection is reused or closed
      if (res.ok) {
        log.info({ eventId, type, attempt, duplicate }, 'sandbox webhook delivered');
        if (!duplicate && duplicateShare > 0 && Math.random() < duplicateShare) {
          later(retryBaseMs, () => send(eventId, type, body, 1, true));
        }
        return;
      }
      failure = `HTTP ${res.status}`;
    } catch (err) {
      if (closed) return;
      failure = err instanceof Error ? err.message : String(err);
    }
    if (attempt >= maxAttempts) {
      log.error({ eventId, type, attempt, failure }, 'sandbox webhook delivery gave up');
      return;
    }
    const waitMs = Math.min(retryBaseMs * 2 ** (attempt - 1), retryMaxMs);
    log.warn(
      { eventId, type, attempt, failure, retryInMs: waitMs },
      'sandbox webhook delivery failed',
    );
    later(waitMs, () => send(eventId, type, body, attempt + 1, duplicate));
  }

  // --- the provider -------------------------------------------------------------------------

  return {
    name: 'sandbox',
    signatureHeader: SANDBOX_SIGNATURE_HEADER,

    async createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult> {
      assertOpen();
      validateCreatePayment(input);
      if (!Object.hasOwn(TEST_PAYMENT_METHODS, input.paymentMethod)) {
        throw new UnknownPaymentMethodError(input.paymentMethod);
      }
      const card = TEST_PAYMENT_METHODS[input.paymentMethod as TestPaymentMethod];
      const fingerprint = JSON.stringify([
        'create',
        input.orderId,
        input.amount,
        input.currency,
        input.paymentMethod,
        Object.entries(input.metadata ?? {}).sort(),
      ]);
      const previous = replay<CreatePaymentResult>(input.idempotencyKey, fingerprint);
      if (previous) return previous;

      const payment: SandboxPayment = {
        id: newId('pi_sbx'),
        orderId: input.orderId,
        amount: input.amount,
        currency: input.currency,
        paymentMethod: input.paymentMethod as TestPaymentMethod,
        status: 'pending',
        refunded: 0,
      };
      payments.set(payment.id, payment);
      const result: CreatePaymentResult = { providerPaymentId: payment.id, status: 'pending' };
      keys.set(input.idempotencyKey, { fingerprint, result });

      const delay = 'delayed' in card ? delayedOutcomeDelayMs : outcomeDelayMs;
      payment.outcomeTimer = later(delay, () => {
        payment.outcomeTimer = undefined;
        if (payment.status !== 'pending') return;
        payment.status = card.outcome;
        if ('failureCode' in card) payment.failureCode = card.failureCode;
        emit(payment, card.outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed');
      });
      return result;
    },

    async retrievePayment(providerPaymentId: string): Promise<PaymentSnapshot> {
      const p = find(providerPaymentId);
      return {
        providerPaymentId: p.id,
        orderId: p.orderId,
        amount: p.amount,
        currency: p.currency,
        status: p.status,
        ...(p.failureCode ? { failureCode: p.failureCode } : {}),
      };
    },

    async cancelPayment(providerPaymentId: string): Promise<CancelPaymentResult> {
      assertOpen();
      const payment = find(providerPaymentId);
      if (payment.status === 'succeeded') {
        throw new PaymentStateError(
          providerPaymentId,
          'A succeeded payment cannot be canceled; refund it instead.',
        );
      }
      if (payment.status !== 'canceled') {
        if (payment.outcomeTimer) {
          clearTimeout(payment.outcomeTimer);
          timers.delete(payment.outcomeTimer);
          payment.outcomeTimer = undefined;
        }
        payment.status = 'canceled';
        emit(payment, 'payment.canceled');
      }
      return { providerPaymentId, status: 'canceled' };
    },

    async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentResult> {
      assertOpen();
      assertIdempotencyKey(input.idempotencyKey);
      if (input.amount !== undefined) assertAmount(input.amount);
      const fingerprint = JSON.stringify(['refund', input.providerPaymentId, input.amount ?? null]);
      const previous = replay<RefundPaymentResult>(input.idempotencyKey, fingerprint);
      if (previous) return previous;

      const payment = find(input.providerPaymentId);
      if (payment.status !== 'succeeded') {
        throw new PaymentStateError(
          payment.id,
          `Only a succeeded payment can be refunded; this one is ${payment.status}.`,
        );
      }
      const remaining = payment.amount - payment.refunded;
      const amount = input.amount ?? remaining;
      if (remaining === 0 || amount > remaining) {
        throw new PaymentStateError(
          payment.id,
          `Cannot refund ${amount}: ${remaining} of ${payment.amount} is left to refund.`,
        );
      }
      payment.refunded += amount;
      const result: RefundPaymentResult = {
        providerRefundId: newId('re_sbx'),
        providerPaymentId: payment.id,
        amount,
        status: 'succeeded',
      };
      keys.set(input.idempotencyKey, { fingerprint, result });
      return result;
    },

    parseWebhook(rawBody: Buffer | string, headers: WebhookHeaders): PaymentEvent | null {
      verifyWebhookSignature(rawBody, headers[SANDBOX_SIGNATURE_HEADER], secrets, { toleranceSec });
      return parseSandboxEvent(rawBody);
    },

    async close(): Promise<void> {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      shutdown.abort();
      await Promise.allSettled([...inflight]);
    },
  };
}

/** The body has been verified; still check its shape, as a newer sender may differ. */
function parseSandboxEvent(rawBody: Buffer | string): PaymentEvent | null {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch (err) {
    throw new WebhookSignatureError('invalid-payload', 'The webhook body is not JSON.', err);
  }
  if (typeof body !== 'object' || body === null) {
    throw new WebhookSignatureError('invalid-payload', 'The webhook body is not an object.');
  }
  const { id, type, providerPaymentId, orderId, amount, currency, failureCode, occurredAt } = body;
  if (!EVENT_TYPES.includes(type as PaymentEventType)) return null;
  const occurred = new Date(typeof occurredAt === 'string' ? occurredAt : Number.NaN);
  if (
    typeof id !== 'string' ||
    typeof providerPaymentId !== 'string' ||
    typeof orderId !== 'string' ||
    typeof amount !== 'number' ||
    typeof currency !== 'string' ||
    (failureCode !== undefined && typeof failureCode !== 'string') ||
    Number.isNaN(occurred.getTime())
  ) {
    throw new WebhookSignatureError('invalid-payload', 'The webhook body lacks event fields.');
  }
  return {
    id,
    type: type as PaymentEventType,
    providerPaymentId,
    orderId,
    amount,
    currency,
    ...(failureCode ? { failureCode } : {}),
    occurredAt: occurred,
  };
}
