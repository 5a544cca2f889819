// The provider-neutral payment contract: what the orders service may ask of any processor,
// and what a verified webhook turns into. Both implementations speak only these types.

export type PaymentProviderName = 'sandbox' | 'stripe';

export interface CreatePaymentInput {
  /** Meridian's order id; travels to the processor as metadata and comes back on events. */
  orderId: string;
  /** Integer minor units (cents for EUR/USD, yen for JPY). */
  amount: number;
  /** ISO 4217, upper case: 'EUR'. */
  currency: string;
  /** An opaque payment method token (`pm_…`), never card data. See TEST_PAYMENT_METHODS. */
  paymentMethod: string;
  /** Same key, same request: the processor answers with the first result instead of charging again. */
  idempotencyKey: string;
  /** Extra key/value pairs kept on the payment; `orderId` is reserved. */
  metadata?: Record<string, string>;
}

/** Where a payment stands. `pending` means the outcome will arrive by webhook. */
export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

export interface CreatePaymentResult {
  providerPaymentId: string;
  status: 'pending' | 'succeeded' | 'failed';
  /** Why it failed: the issuer's decline code when there is one ('insufficient_funds'). */
  failureCode?: string;
}

export interface PaymentSnapshot {
  providerPaymentId: string;
  /** From the payment's metadata; null for a payment Meridian did not create. */
  orderId: string | null;
  amount: number;
  currency: string;
  status: PaymentStatus;
  failureCode?: string;
}

export interface CancelPaymentResult {
  providerPaymentId: string;
  status: 'canceled';
}

export interface RefundPaymentInput {
  providerPaymentId: string;
  /** Minor units; the whole remaining amount when omitted. */
  amount?: number;
  idempotencyKey: string;
}

export interface RefundPaymentResult {
  providerRefundId: string;
  providerPaymentId: string;
  amount: number;
  status: 'pending' | 'succeeded' | 'failed';
}

export type PaymentEventType = 'payment.succeeded' | 'payment.failed' | 'payment.canceled';

export interface PaymentEvent {
  /** The processor's event id: the same on every redelivery, so it is the dedup key. */
  id: string;
  type: PaymentEventType;
  providerPaymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  failureCode?: string;
  occurredAt: Date;
}

/** Request headers as Node and Fastify give them (lower-case names). */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface PaymentProvider {
  readonly name: PaymentProviderName;
  /** The request header that carries the webhook signature, lower case. */
  readonly signatureHeader: string;
  createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult>;
  retrievePayment(providerPaymentId: string): Promise<PaymentSnapshot>;
  /** Compensation before money moved (pending or failed). Canceling twice is not an error. */
  cancelPayment(providerPaymentId: string): Promise<CancelPaymentResult>;
  /** Compensation after money moved (succeeded). */
  refundPayment(input: RefundPaymentInput): Promise<RefundPaymentResult>;
  /**
   * Verifies the signature and its timestamp over the exact raw body, then parses it. Throws
   * WebhookSignatureError on any problem. Returns null for an authentic event this package does
   * not model (another event type, or a payment Meridian did not create): answer 2xx and drop it.
   */
  parseWebhook(rawBody: Buffer | string, headers: WebhookHeaders): PaymentEvent | null;
  /** Cancels pending timers and deliveries (sandbox); a no-op for stripe. */
  close(): Promise<void>;
}

/** Logger shape (pino's object-first call style). */
export interface PaymentsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const noopLogger: PaymentsLogger = { info() {}, warn() {}, error() {} };
