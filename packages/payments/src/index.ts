// Payments behind one interface: a sandbox processor that teaches (signed, retried, sometimes
// duplicated webhooks) and a Stripe adapter for real money. See README.md and docs/payments.md.
export {
  IdempotencyConflictError,
  InvalidPaymentRequestError,
  PaymentConfigError,
  PaymentError,
  PaymentNotFoundError,
  PaymentProviderError,
  PaymentStateError,
  UnknownPaymentMethodError,
  WebhookSignatureError,
  type WebhookSignatureReason,
} from './errors.ts';
export { createPaymentProvider, type PaymentProviderConfig } from './factory.ts';
export {
  createSandboxProvider,
  type SandboxOptions,
  type SandboxPaymentProvider,
} from './sandbox.ts';
export {
  DEFAULT_TOLERANCE_SEC,
  SANDBOX_SIGNATURE_HEADER,
  signWebhookPayload,
  type VerifyOptions,
  verifyWebhookSignature,
} from './signature.ts';
export {
  createStripeProvider,
  STRIPE_SIGNATURE_HEADER,
  type StripePaymentProvider,
  type StripeProviderOptions,
} from './stripe.ts';
export type {
  CancelPaymentResult,
  CreatePaymentInput,
  CreatePaymentResult,
  PaymentEvent,
  PaymentEventType,
  PaymentProvider,
  PaymentProviderName,
  PaymentSnapshot,
  PaymentStatus,
  PaymentsLogger,
  RefundPaymentInput,
  RefundPaymentResult,
  WebhookHeaders,
} from './types.ts';
export { TEST_PAYMENT_METHODS, type TestPaymentMethod } from './validate.ts';
