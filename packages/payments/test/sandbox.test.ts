// The sandbox processor end to end over real loopback HTTP: each test card's outcome arrives
// as a verified webhook, late cards arrive late, failed deliveries are retried, duplicates
// happen when asked, idempotency keys replay, and cancel, refund and close behave.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSandboxProvider,
  IdempotencyConflictError,
  InvalidPaymentRequestError,
  PaymentNotFoundError,
  PaymentProviderError,
  PaymentStateError,
  type SandboxOptions,
  type SandboxPaymentProvider,
  UnknownPaymentMethodError,
} from '../src/index.ts';
import {
  memoryLogger,
  type Receiver,
  SECRET,
  sleep,
  startReceiver,
  uniqueOrder,
  waitFor,
} from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: Partial<SandboxOptions> = {},
): Promise<{ receiver: Receiver; sandbox: SandboxPaymentProvider }> {
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const sandbox = createSandboxProvider({
    webhookUrl: receiver.url,
    webhookSecret: SECRET,
    outcomeDelayMs: 0,
    delayedOutcomeDelayMs: 300,
    retryBaseMs: 20,
    ...options,
  });
  cleanups.push(() => sandbox.close());
  receiver.verifyWith(sandbox);
  return { receiver, sandbox };
}

const payment = (paymentMethod: string, extra: Record<string, unknown> = {}) => ({
  ...uniqueOrder(),
  amount: 1299,
  currency: 'EUR',
  paymentMethod,
  ...extra,
});

describe('sandbox test cards', () => {
  it.each([
    ['pm_card_visa', 'payment.succeeded', undefined],
    ['pm_card_chargeDeclined', 'payment.failed', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'payment.failed', 'insufficient_funds'],
    ['pm_card_delayed', 'payment.succeeded', undefined],
  ])('%s: answers pending, then delivers a signed %s webhook', async (card, type, failureCode) => {
    const { receiver, sandbox } = await setup();
    const input = payment(card);

    const created = await sandbox.createPayment(input);
    expect(created).toEqual({
      providerPaymentId: expect.stringMatching(/^pi_sbx_/),
      status: 'pending',
    });

    const [event] = await waitFor(() => receiver.events().length > 0 && receiver.events(), 'event');
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_sbx_/),
      type,
      providerPaymentId: created.providerPaymentId,
      orderId: input.orderId,
      amount: 1299,
      currency: 'EUR',
      ...(failureCode ? { failureCode } : {}),
      occurredAt: expect.any(Date),
    });
    expect(receiver.deliveries[0]?.headers['meridian-signature']).toMatch(
      /^t=\d+,v1=[0-9a-f]{64}$/,
    );
    expect(receiver.deliveries[0]?.headers['content-type']).toBe('application/json');
    const snapshot = await sandbox.retrievePayment(created.providerPaymentId);
    expect(snapshot.status).toBe(type === 'payment.succeeded' ? 'succeeded' : 'failed');
  });

  it('delivers the delayed card later than a normal one created after it', async () => {
    const { receiver, sandbox } = await setup({ outcomeDelayMs: 20, delayedOutcomeDelayMs: 400 });
    const start = Date.now();
    const slow = await sandbox.createPayment(payment('pm_card_delayed'));
    const fast = await sandbox.createPayment(payment('pm_card_visa'));

    await waitFor(() => receiver.events().length === 2, 'both events');
    const [first, second] = receiver.deliveries;
    expect(receiver.events().map((e) => e.providerPaymentId)).toEqual([
      fast.providerPaymentId,
      slow.providerPaymentId,
    ]);
    expect((second?.at ?? 0) - start).toBeGreaterThanOrEqual(400);
    expect((first?.at ?? Infinity) - start).toBeLessThan(400);
    expect((await sandbox.retrievePayment(slow.providerPaymentId)).status).toBe('succeeded');
  });
});

describe('sandbox delivery', () => {
  it('retries after the receiver answers 500, until a 200, with the same event', async () => {
    const log = memoryLogger();
    const { receiver, sandbox } = await setup({ log });
    receiver.script(500, 503);

    await sandbox.createPayment(payment('pm_card_visa'));
    await waitFor(() => receiver.events().length === 1, 'a delivery that succeeds');

    expect(receiver.deliveries.map((d) => d.status)).toEqual([500, 503, 200]);
    const bodies = new Set(receiver.deliveries.map((d) => d.rawBody.toString()));
    expect(bodies.size).toBe(1); // same bytes, same event id, every attempt
    // backoff doubles: ≥ 20 ms, then ≥ 40 ms
    const [a, b, c] = receiver.deliveries.map((d) => d.at);
    expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(18);
    expect((c ?? 0) - (b ?? 0)).toBeGreaterThanOrEqual(38);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.obj.failure)).toEqual([
      'HTTP 500',
      'HTTP 503',
    ]);
  });

  it('retries after a network error (connection dropped mid-request)', async () => {
    const { receiver, sandbox } = await setup();
    receiver.script('drop');

    await sandbox.createPayment(payment('pm_card_visa'));
    await waitFor(() => receiver.events().length === 1, 'the retried delivery');
    expect(receiver.deliveries).toHaveLength(2);
  });

  it('gives up after maxDeliveryAttempts and logs it', async () => {
    const log = memoryLogger();
    const { receiver, sandbox } = await setup({ log, maxDeliveryAttempts: 3 });
    receiver.script(500, 500, 500, 500, 500);

    await sandbox.createPayment(payment('pm_card_visa'));
    const gaveUp = await waitFor(
      () => log.lines.find((l) => l.msg === 'sandbox webhook delivery gave up'),
      'give-up log line',
    );
    await sleep(200); // no fourth attempt comes
    expect(receiver.deliveries).toHaveLength(3);
    expect(gaveUp.obj).toMatchObject({ attempt: 3, failure: 'HTTP 500' });
  });

  it('with duplicateDeliveries, delivers the same event twice, both correctly signed', async () => {
    const { receiver, sandbox } = await setup({ duplicateDeliveries: true });

    await sandbox.createPayment(payment('pm_card_visa'));
    const events = await waitFor(() => receiver.events().length === 2 && receiver.events(), 'dup');
    expect(events[0]?.id).toBe(events[1]?.id);
    await sleep(100);
    expect(receiver.deliveries).toHaveLength(2); // a duplicate is not duplicated again
  });

  it('without duplicateDeliveries, delivers each event once', async () => {
    const { receiver, sandbox } = await setup();
    await sandbox.createPayment(payment('pm_card_visa'));
    await waitFor(() => receiver.events().length === 1, 'event');
    await sleep(100);
    expect(receiver.deliveries).toHaveLength(1);
  });
});

describe('sandbox createPayment', () => {
  it('with the same idempotencyKey, returns the same payment and charges once', async () => {
    const { receiver, sandbox } = await setup();
    const input = payment('pm_card_visa');

    const first = await sandbox.createPayment(input);
    const again = await sandbox.createPayment({ ...input });
    expect(again).toEqual(first);

    await waitFor(() => receiver.events().length === 1, 'event');
    await sleep(100);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('with the same idempotencyKey and other parameters, refuses with a conflict', async () => {
    const { sandbox } = await setup();
    const input = payment('pm_card_visa');
    await sandbox.createPayment(input);
    await expect(sandbox.createPayment({ ...input, amount: 1 })).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
  });

  it('rejects an unknown token, and a card number without echoing it, sending nothing', async () => {
    const { receiver, sandbox } = await setup();
    await expect(sandbox.createPayment(payment('pm_card_unknown'))).rejects.toBeInstanceOf(
      UnknownPaymentMethodError,
    );
    for (const pan of ['4242424242424242', '4242 4242 4242 4242']) {
      const err = await sandbox.createPayment(payment(pan)).catch((e) => e);
      expect(err).toBeInstanceOf(UnknownPaymentMethodError);
      expect(JSON.stringify({ ...err, message: err.message })).not.toMatch(/4242/);
    }
    await sleep(50);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it.each([
    ['a fractional amount', 'amount', { amount: 12.99 }],
    ['a zero amount', 'amount', { amount: 0 }],
    ['a lower-case currency', 'currency', { currency: 'eur' }],
    ['an empty idempotencyKey', 'idempotencyKey', { idempotencyKey: '' }],
    ['metadata.orderId (reserved)', 'metadata', { metadata: { orderId: 'other' } }],
  ])('rejects %s', async (_what, field, extra) => {
    const { sandbox } = await setup();
    const err = await sandbox.createPayment(payment('pm_card_visa', extra)).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidPaymentRequestError);
    expect(err.field).toBe(field);
  });
});

describe('sandbox compensation', () => {
  it('cancels a pending payment: no outcome, a payment.canceled event; twice is fine', async () => {
    const { receiver, sandbox } = await setup({ delayedOutcomeDelayMs: 200 });
    const { providerPaymentId } = await sandbox.createPayment(payment('pm_card_delayed'));

    expect(await sandbox.cancelPayment(providerPaymentId)).toEqual({
      providerPaymentId,
      status: 'canceled',
    });
    expect(await sandbox.cancelPayment(providerPaymentId)).toMatchObject({ status: 'canceled' });

    await waitFor(() => receiver.events().length === 1, 'canceled event');
    await sleep(300); // past the delayed outcome
    expect(receiver.events().map((e) => e.type)).toEqual(['payment.canceled']);
    expect((await sandbox.retrievePayment(providerPaymentId)).status).toBe('canceled');
  });

  it('refuses to cancel a succeeded payment, and refunds it instead', async () => {
    const { receiver, sandbox } = await setup();
    const { providerPaymentId } = await sandbox.createPayment(payment('pm_card_visa'));
    await waitFor(() => receiver.events().length === 1, 'succeeded event');

    await expect(sandbox.cancelPayment(providerPaymentId)).rejects.toBeInstanceOf(
      PaymentStateError,
    );

    const partial = await sandbox.refundPayment({
      providerPaymentId,
      amount: 300,
      idempotencyKey: 'r1',
    });
    expect(partial).toMatchObject({ providerPaymentId, amount: 300, status: 'succeeded' });
    expect(
      await sandbox.refundPayment({ providerPaymentId, amount: 300, idempotencyKey: 'r1' }),
    ).toEqual(partial);
    const rest = await sandbox.refundPayment({ providerPaymentId, idempotencyKey: 'r2' });
    expect(rest.amount).toBe(999);
    await expect(
      sandbox.refundPayment({ providerPaymentId, amount: 1, idempotencyKey: 'r3' }),
    ).rejects.toBeInstanceOf(PaymentStateError);
  });

  it('refuses to refund a payment that has not succeeded, and an unknown one', async () => {
    const { sandbox } = await setup({ delayedOutcomeDelayMs: 5_000 });
    const { providerPaymentId } = await sandbox.createPayment(payment('pm_card_delayed'));
    await expect(
      sandbox.refundPayment({ providerPaymentId, idempotencyKey: 'r-pending' }),
    ).rejects.toBeInstanceOf(PaymentStateError);
    await expect(sandbox.cancelPayment('pi_sbx_nope')).rejects.toBeInstanceOf(PaymentNotFoundError);
  });
});

describe('sandbox close()', () => {
  it('cancels pending outcomes and retries, and refuses new payments', async () => {
    const { receiver, sandbox } = await setup({ delayedOutcomeDelayMs: 100 });
    await sandbox.createPayment(payment('pm_card_delayed'));
    await sandbox.close();
    await sleep(250);
    expect(receiver.deliveries).toHaveLength(0);
    await expect(sandbox.createPayment(payment('pm_card_visa'))).rejects.toBeInstanceOf(
      PaymentProviderError,
    );
  });

  it('stops a retry schedule in the middle', async () => {
    const { receiver, sandbox } = await setup({ retryBaseMs: 100 });
    receiver.script(500, 500, 500);
    await sandbox.createPayment(payment('pm_card_visa'));
    await waitFor(() => receiver.deliveries.length === 1, 'first attempt');
    await sandbox.close();
    await sleep(300);
    expect(receiver.deliveries).toHaveLength(1);
  });
});
