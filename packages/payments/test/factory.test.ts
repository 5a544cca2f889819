// createPaymentProvider: picks by name, sandbox by default, and refuses an incomplete or
// unknown configuration at startup with a message that names the missing variables.
import { describe, expect, it } from 'vitest';
import {
  createPaymentProvider,
  PaymentConfigError,
  type PaymentProviderConfig,
  signWebhookPayload,
} from '../src/index.ts';

const sandboxConfig = {
  webhookSecret: 'whsec_sandbox',
  webhookUrl: 'http://127.0.0.1:3003/v1/payments/webhook',
};

function configError(config: PaymentProviderConfig): string {
  try {
    createPaymentProvider(config);
  } catch (err) {
    if (err instanceof PaymentConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a PaymentConfigError');
}

describe('createPaymentProvider', () => {
  it('builds the sandbox when no provider is named', async () => {
    const provider = createPaymentProvider(sandboxConfig);
    expect(provider.name).toBe('sandbox');
    expect(provider.signatureHeader).toBe('meridian-signature');
    await provider.close();
  });

  it('builds stripe with a secret key and a webhook secret', async () => {
    const provider = createPaymentProvider({
      provider: 'stripe',
      stripeSecretKey: 'sk_test_x',
      stripeWebhookSecret: 'whsec_x',
    });
    expect(provider.name).toBe('stripe');
    expect(provider.signatureHeader).toBe('stripe-signature');
    await provider.close();
  });

  it('refuses stripe without its secrets, naming each missing variable', () => {
    expect(configError({ provider: 'stripe' })).toBe(
      'PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.',
    );
    expect(configError({ provider: 'stripe', stripeSecretKey: 'sk_test_x' })).toMatch(
      /needs STRIPE_WEBHOOK_SECRET\.$/,
    );
    expect(configError({ provider: 'stripe', stripeWebhookSecret: 'whsec_x' })).toMatch(
      /needs STRIPE_SECRET_KEY\.$/,
    );
  });

  it('refuses the sandbox without a secret or a URL, and an unknown provider', () => {
    expect(configError({ webhookUrl: sandboxConfig.webhookUrl })).toMatch(/PAYMENT_WEBHOOK_SECRET/);
    expect(configError({ webhookSecret: 'whsec_sandbox' })).toMatch(/PAYMENT_WEBHOOK_URL/);
    expect(configError({ ...sandboxConfig, webhookUrl: 'not a url' })).toMatch(/webhookUrl/);
    expect(configError({ ...sandboxConfig, provider: 'paypal' })).toMatch(/'sandbox' or 'stripe'/);
  });

  it('refuses a tolerance of 0, which would switch the timestamp check off', () => {
    expect(configError({ ...sandboxConfig, toleranceSec: 0 })).toMatch(/toleranceSec/);
    expect(
      configError({
        provider: 'stripe',
        stripeSecretKey: 'sk_test_x',
        stripeWebhookSecret: 'whsec_x',
        toleranceSec: 0,
      }),
    ).toMatch(/toleranceSec/);
  });

  it('reads comma-separated secrets as a rotation list', async () => {
    const provider = createPaymentProvider({
      ...sandboxConfig,
      webhookSecret: 'whsec_new, whsec_old',
    });
    const body = JSON.stringify({
      id: 'evt_1',
      type: 'payment.failed',
      providerPaymentId: 'pi_1',
      orderId: 'ord_1',
      amount: 1,
      currency: 'EUR',
      failureCode: 'generic_decline',
      occurredAt: new Date().toISOString(),
    });
    const headers = { 'meridian-signature': signWebhookPayload(body, 'whsec_old') };
    expect(provider.parseWebhook(body, headers)).toMatchObject({ failureCode: 'generic_decline' });
    await provider.close();
  });
});
