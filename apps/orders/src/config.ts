// The orders service's environment: the kit's shared variables, its port, where catalog and
// the auth token endpoint are, the payment provider, idempotency-key and outbox pacing.
// Documented in docs/configuration.md.
import { BaseConfigSchema, portSchema } from '@meridian/config';
import { type Static, Type } from 'typebox';

/** The dev-only client secret the auth seed gives the `orders` client (AUTH_DEV_DEFAULTS). */
export const DEV_ORDERS_CLIENT_SECRET = 'meridian-dev-orders-client-secret';
/** The dev-only webhook secret shared by the sandbox processor and the webhook endpoint. */
export const DEV_PAYMENT_WEBHOOK_SECRET = 'meridian-dev-webhook-secret';

export const ConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  PORT: portSchema(3003),
  // Catalog: prices for checkout and stock reservations (docs/fault-isolation.md).
  CATALOG_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3002' }),
  CATALOG_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 30_000, default: 2_000 }),
  CATALOG_RETRIES: Type.Integer({ minimum: 1, maximum: 5, default: 3 }),
  CATALOG_BREAKER_RESET_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000 }),
  // The client-credentials grant orders uses to call catalog's inventory API.
  AUTH_TOKEN_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:3001/v1/auth/token',
  }),
  ORDERS_CLIENT_ID: Type.String({ minLength: 1, default: 'orders' }),
  ORDERS_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  // Payments (docs/payments.md): the sandbox processor by default, or Stripe.
  PAYMENT_PROVIDER: Type.Union([Type.Literal('sandbox'), Type.Literal('stripe')], {
    default: 'sandbox',
  }),
  /** Comma-separated while rotating: the new secret first. */
  PAYMENT_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  /** Where the sandbox delivers its webhooks: this service's own endpoint by default. */
  PAYMENT_WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ minLength: 1 })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  /** The sandbox's delay before it reports an outcome (the `pm_card_delayed` card: ×40). */
  SANDBOX_OUTCOME_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 50 }),
  // Stored checkout responses are replayed for this long after the first request.
  IDEMPOTENCY_WINDOW_MS: Type.Integer({
    minimum: 60_000,
    maximum: 604_800_000,
    default: 86_400_000,
  }),
  // How long catalog holds stock for an order that awaits its payment.
  RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 3_600, default: 900 }),
  // The payment-event inbox and the outbox: how often each looks for work; 0 turns it off.
  PAYMENT_EVENTS_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),
  /** How often the compensator looks for holds a failed step may have left in catalog. */
  COMPENSATION_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 300_000, default: 5_000 }),
  OUTBOX_RELAY_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),
  OUTBOX_RELAY_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
  OUTBOX_RETENTION_MS: Type.Integer({ minimum: 0, maximum: 2_592_000_000, default: 604_800_000 }),
  /** Dev defaults for the secrets above (client secret, webhook secret); never in production. */
  AUTH_DEV_DEFAULTS: Type.Boolean({ default: false }),
});

export type Config = Static<typeof ConfigSchema>;

/** The secrets a deployment must set, unless AUTH_DEV_DEFAULTS supplies dev ones. */
export function resolveSecrets(config: Config): {
  clientSecret: string;
  webhookSecret: string;
} {
  const dev = config.AUTH_DEV_DEFAULTS;
  const clientSecret = config.ORDERS_CLIENT_SECRET ?? (dev ? DEV_ORDERS_CLIENT_SECRET : undefined);
  const webhookSecret =
    config.PAYMENT_WEBHOOK_SECRET ?? (dev ? DEV_PAYMENT_WEBHOOK_SECRET : undefined);
  const missing = [
    clientSecret ? null : 'ORDERS_CLIENT_SECRET',
    webhookSecret || config.PAYMENT_PROVIDER === 'stripe' ? null : 'PAYMENT_WEBHOOK_SECRET',
  ].filter((s) => s !== null);
  if (missing.length > 0) {
    throw new Error(`orders: set ${missing.join(' and ')} (or AUTH_DEV_DEFAULTS=true on a laptop)`);
  }
  return { clientSecret: clientSecret as string, webhookSecret: webhookSecret ?? '' };
}
