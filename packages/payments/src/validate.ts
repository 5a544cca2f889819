// Checks every provider runs before it charges anything, and the test payment method tokens.
// The rules are Stripe's (metadata limits, key length) so the sandbox refuses what Stripe would.
import { InvalidPaymentRequestError, UnknownPaymentMethodError } from './errors.ts';
import type { CreatePaymentInput } from './types.ts';

/**
 * Stripe's test PaymentMethod names, with the same meaning on both providers, plus one
 * sandbox-only token. `failureCode` is what a failed payment reports (Stripe's decline_code).
 */
export const TEST_PAYMENT_METHODS = {
  pm_card_visa: { outcome: 'succeeded' },
  pm_card_chargeDeclined: { outcome: 'failed', failureCode: 'generic_decline' },
  pm_card_chargeDeclinedInsufficientFunds: {
    outcome: 'failed',
    failureCode: 'insufficient_funds',
  },
  /** Sandbox only: succeeds, but after the longer `delayedMs`, like a slow bank confirmation. */
  pm_card_delayed: { outcome: 'succeeded', delayed: true },
} as const satisfies Record<
  string,
  { outcome: 'succeeded' | 'failed'; failureCode?: string; delayed?: boolean }
>;

export type TestPaymentMethod = keyof typeof TEST_PAYMENT_METHODS;

/** A payment method token: `pm_` and word characters. Anything else (a PAN, JSON) is refused. */
const TOKEN = /^pm_[A-Za-z0-9_]{1,250}$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_KEY_LENGTH = 255;
const MAX_METADATA_KEYS = 50;

export function assertPaymentMethodToken(paymentMethod: unknown): asserts paymentMethod is string {
  if (typeof paymentMethod !== 'string' || !TOKEN.test(paymentMethod)) {
    throw new UnknownPaymentMethodError(String(paymentMethod));
  }
}

export function assertIdempotencyKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidPaymentRequestError(
      'idempotencyKey',
      `idempotencyKey must be a string of 1 to ${MAX_KEY_LENGTH} characters.`,
    );
  }
}

export function assertAmount(amount: unknown, field = 'amount'): asserts amount is number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidPaymentRequestError(
      field,
      `${field} must be a positive integer in minor units (1299 for 12.99).`,
    );
  }
}

/** Throws InvalidPaymentRequestError or UnknownPaymentMethodError; returns nothing on success. */
export function validateCreatePayment(input: CreatePaymentInput): void {
  if (
    typeof input.orderId !== 'string' ||
    input.orderId.length === 0 ||
    input.orderId.length > 500
  ) {
    throw new InvalidPaymentRequestError(
      'orderId',
      'orderId must be a string of 1 to 500 characters.',
    );
  }
  assertAmount(input.amount);
  if (typeof input.currency !== 'string' || !CURRENCY.test(input.currency)) {
    throw new InvalidPaymentRequestError(
      'currency',
      'currency must be an upper-case ISO 4217 code such as EUR.',
    );
  }
  assertIdempotencyKey(input.idempotencyKey);
  assertPaymentMethodToken(input.paymentMethod);
  const metadata = input.metadata ?? {};
  const keys = Object.keys(metadata);
  if (keys.length >= MAX_METADATA_KEYS) {
    throw new InvalidPaymentRequestError(
      'metadata',
      `metadata takes at most ${MAX_METADATA_KEYS - 1} keys.`,
    );
  }
  for (const key of keys) {
    const value = metadata[key];
    if (key === 'orderId') {
      throw new InvalidPaymentRequestError(
        'metadata',
        'metadata.orderId is reserved; pass orderId.',
      );
    }
    if (key.length > 40 || /[[\]]/.test(key) || typeof value !== 'string' || value.length > 500) {
      throw new InvalidPaymentRequestError(
        'metadata',
        'metadata keys are at most 40 characters without brackets, values strings of at most 500.',
      );
    }
  }
}
