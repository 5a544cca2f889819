// Picks the provider from configuration, so the orders service never names one in code:
// PAYMENT_PROVIDER=sandbox (the default) or stripe. Refuses half a configuration at startup.
import { PaymentConfigError } from './errors.ts';
import { createSandboxProvider, type SandboxOptions } from './sandbox.ts';
import { createStripeProvider, type StripeProviderOptions } from './stripe.ts';
import type { PaymentProvider, PaymentsLogger } from './types.ts';

export interface PaymentProviderConfig {
  /** PAYMENT_PROVIDER: 'sandbox' (default) or 'stripe'. */
  provider?: string;
  /** PAYMENT_WEBHOOK_SECRET: the sandbox's signing secret; comma-separate two while rotating. */
  webhookSecret?: string;
  /** PAYMENT_WEBHOOK_URL: where the sandbox POSTs outcomes (the orders webhook route). */
  webhookUrl?: string;
  /** STRIPE_SECRET_KEY */
  stripeSecretKey?: string;
  /** STRIPE_WEBHOOK_SECRET; comma-separate two while rotating. */
  stripeWebhookSecret?: string;
  /** Accepted signature age in seconds, for either provider (300). */
  toleranceSec?: number;
  /** Sandbox tuning: delays, retries, duplicate deliveries. */
  sandbox?: Omit<SandboxOptions, 'webhookUrl' | 'webhookSecret' | 'toleranceSec' | 'log'>;
  /** Stripe tuning: timeout, retries, another API host. */
  stripe?: Omit<StripeProviderOptions, 'secretKey' | 'webhookSecret' | 'toleranceSec'>;
  log?: PaymentsLogger;
}

const secretList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export function createPaymentProvider(config: PaymentProviderConfig): PaymentProvider {
  const name = config.provider ?? 'sandbox';
  switch (name) {
    case 'sandbox': {
      const secrets = secretList(config.webhookSecret);
      if (secrets.length === 0 || !config.webhookUrl) {
        throw new PaymentConfigError(
          'PAYMENT_PROVIDER=sandbox needs PAYMENT_WEBHOOK_SECRET and PAYMENT_WEBHOOK_URL.',
        );
      }
      return createSandboxProvider({
        ...config.sandbox,
        webhookUrl: config.webhookUrl,
        webhookSecret: secrets,
        ...(config.toleranceSec !== undefined ? { toleranceSec: config.toleranceSec } : {}),
        ...(config.log ? { log: config.log } : {}),
      });
    }
    case 'stripe': {
      const secrets = secretList(config.stripeWebhookSecret);
      const missing = [
        config.stripeSecretKey ? null : 'STRIPE_SECRET_KEY',
        secrets.length > 0 ? null : 'STRIPE_WEBHOOK_SECRET',
      ].filter((v) => v !== null);
      if (missing.length > 0 || !config.stripeSecretKey) {
        throw new PaymentConfigError(`PAYMENT_PROVIDER=stripe needs ${missing.join(' and ')}.`);
      }
      return createStripeProvider({
        ...config.stripe,
        secretKey: config.stripeSecretKey,
        webhookSecret: secrets,
        ...(config.toleranceSec !== undefined ? { toleranceSec: config.toleranceSec } : {}),
      });
    }
    default:
      throw new PaymentConfigError(
        `PAYMENT_PROVIDER must be 'sandbox' or 'stripe', not ${JSON.stringify(name)}.`,
      );
  }
}
