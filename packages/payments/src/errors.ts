// Typed errors a caller can tell apart with instanceof or `code`, whichever provider raised
// them. How the orders service answers each (orders.service.ts, payments.routes.ts): an invalid
// request or unknown payment method at checkout 422; a state error on cancel or refund 409;
// anything else from the provider 503; a bad webhook signature 400.

export abstract class PaymentError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request itself is wrong (amount, currency, key, metadata). Not worth retrying. */
export class InvalidPaymentRequestError extends PaymentError {
  readonly code = 'invalid-payment-request';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The payment method token is not one the processor knows (or is not a token at all). */
export class UnknownPaymentMethodError extends PaymentError {
  readonly code = 'unknown-payment-method';
  /** The value given, or '(redacted)' when it could be a card number: errors get logged. */
  readonly paymentMethod: string;
  constructor(paymentMethod: string, cause?: unknown) {
    const shown = looksLikeCardData(paymentMethod) ? '(redacted)' : JSON.stringify(paymentMethod);
    super(`Unknown payment method ${shown}: pass a payment method token (pm_…), never card data.`, {
      cause,
    });
    this.paymentMethod = shown === '(redacted)' ? shown : paymentMethod;
  }
}

/** Not a pm_ token and at least 8 digits, however spaced: possibly a card number. */
function looksLikeCardData(value: string): boolean {
  return !value.startsWith('pm_') && (value.match(/\d/g)?.length ?? 0) >= 8;
}

/** The idempotency key was used before with different parameters. */
export class IdempotencyConflictError extends PaymentError {
  readonly code = 'idempotency-conflict';
  constructor(
    readonly idempotencyKey: string,
    cause?: unknown,
  ) {
    super(
      `Idempotency key ${JSON.stringify(idempotencyKey)} was already used with different parameters.`,
      { cause },
    );
  }
}

export class PaymentNotFoundError extends PaymentError {
  readonly code = 'payment-not-found';
  constructor(
    readonly providerPaymentId: string,
    cause?: unknown,
  ) {
    super(`No payment ${JSON.stringify(providerPaymentId)} at this provider.`, { cause });
  }
}

/** The operation does not fit the payment's state (cancel a succeeded payment, over-refund). */
export class PaymentStateError extends PaymentError {
  readonly code = 'payment-state';
  constructor(
    readonly providerPaymentId: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** The processor could not be reached or failed; `retryable` says whether trying again may help. */
export class PaymentProviderError extends PaymentError {
  readonly code = 'provider-error';
  constructor(
    message: string,
    readonly retryable: boolean,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** Bad or missing provider configuration, raised at startup. */
export class PaymentConfigError extends PaymentError {
  readonly code = 'payment-config';
}

export type WebhookSignatureReason =
  | 'missing-header'
  | 'malformed-header'
  | 'signature-mismatch'
  | 'timestamp-outside-tolerance'
  | 'invalid-payload';

/**
 * A webhook that must not be trusted. The endpoint answers 400 without detail: the reason is
 * for the log, not for whoever sent the request.
 */
export class WebhookSignatureError extends PaymentError {
  readonly code = 'webhook-signature';
  constructor(
    readonly reason: WebhookSignatureReason,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}
