// Sending over real SMTP to the in-process capture server, and reading back what arrived:
// the acceptance check of issue #6 (an order confirmation arrives with the right recipient
// and order details), plus recipients, Message-IDs, verify and configuration errors.
import { describe, expect, it } from 'vitest';
import {
  accountVerification,
  createMailer,
  MailConfigError,
  orderConfirmation,
  PermanentMailError,
  TransientMailError,
} from '../src/index.ts';
import { closedPort, FROM, recipient, setup } from './helpers.ts';

const order = {
  orderId: 'ord_5c1e9a',
  currency: 'EUR',
  lines: [
    { name: 'Trail shoe', sku: 'SHOE-42', quantity: 2, unitPriceMinor: 12900, currency: 'EUR' },
    { name: 'Wool socks', sku: 'SOCK-1', quantity: 3, unitPriceMinor: 1299, currency: 'EUR' },
  ],
  itemsTotalMinor: 29697,
  shippingMinor: 490,
  totalMinor: 30187,
};

describe('sending an order confirmation', () => {
  it('arrives at the capture server with the recipient, subject and order lines in text and html', async () => {
    const { capture, mailer } = await setup();
    const to = recipient('ada');

    const sent = await mailer.send({ ...orderConfirmation(order), to });

    expect(sent.accepted).toEqual([to]);
    expect(sent.rejected).toEqual([]);
    expect(sent.messageId).toMatch(/^<.+@meridian\.test>$/);
    expect(sent.response).toMatch(/^250 /);

    const mail = await capture.waitFor((m) => m.messageId === sent.messageId);
    expect(mail.envelope).toEqual({ from: 'no-reply@meridian.test', to: [to] });
    expect(mail.to).toEqual([to]);
    expect(mail.from).toContain('no-reply@meridian.test');
    expect(mail.subject).toBe('Your Meridian order ord_5c1e9a is confirmed');
    expect(mail.text).toMatch(/^Trail shoe\s+SHOE-42\s+2\s+€129\.00\s+€258\.00$/m);
    expect(mail.text).toMatch(/^Wool socks\s+SOCK-1\s+3\s+€12\.99\s+€38\.97$/m);
    expect(mail.text).toMatch(/Total\s+€301\.87/);
    for (const s of ['Trail shoe', 'SKU SHOE-42', 'Wool socks', '€38.97', '€301.87']) {
      expect(mail.html).toContain(s);
    }
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(mail.date).toBeInstanceOf(Date);
  });

  it('keeps an injected <script> escaped all the way into the received html', async () => {
    const { capture, mailer } = await setup();
    const to = recipient('mallory');
    await mailer.send({
      ...accountVerification({
        displayName: '<script>alert(1)</script>',
        verifyUrl: 'https://shop.meridian.example/verify?t=1',
        expiresInMinutes: 30,
      }),
      to,
    });
    const mail = await capture.waitFor((m) => m.to.includes(to));
    expect(mail.html).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(mail.html).not.toContain('<script>');
  });
});

describe('recipients and headers', () => {
  it('reports the recipients refused while others were accepted, and delivers to the others', async () => {
    const { capture, mailer } = await setup({ rejectRecipients: /^bounce/ });
    const good = recipient('good');
    const bad = recipient('bounce');

    const sent = await mailer.send({ ...orderConfirmation(order), to: [good, bad] });

    expect(sent.accepted).toEqual([good]);
    expect(sent.rejected).toEqual([bad]);
    const mail = await capture.waitFor((m) => m.messageId === sent.messageId);
    expect(mail.envelope.to).toEqual([good]);
  });

  it('sends a given Message-ID and extra headers unchanged, so a retried job can reuse its ID', async () => {
    const { capture, mailer } = await setup();
    const messageId = '<order-confirmed.3b2f0c5e@meridian.test>';
    const sent = await mailer.send({
      ...orderConfirmation(order),
      to: recipient('ada'),
      messageId,
      replyTo: 'support@meridian.test',
      headers: { 'X-Meridian-Template': 'order-confirmation' },
    });
    expect(sent.messageId).toBe(messageId);
    const mail = await capture.waitFor((m) => m.messageId === messageId);
    expect(mail.headers['x-meridian-template']).toBe('order-confirmation');
    expect(mail.headers['reply-to']).toBe('support@meridian.test');
  });

  it.each([
    ['no address at all', []],
    ['a missing @', 'ada.example.test'],
    ['a display name', 'Ada <ada@example.test>'],
    ['a header injection', 'ada@example.test\r\nBcc: eve@example.test'],
    ['two addresses in one string', 'ada@example.test, eve@example.test'],
  ])('refuses %s as a recipient, permanently, without connecting', async (_label, to) => {
    const { capture, mailer } = await setup();
    const err = await mailer.send({ ...orderConfirmation(order), to }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentMailError);
    expect(err).toMatchObject({ retryable: false, reason: 'invalid-recipient' });
    expect(capture.messages()).toHaveLength(0);
  });
});

describe('verify()', () => {
  it('resolves when the SMTP server greets', async () => {
    const { mailer } = await setup();
    await expect(mailer.verify()).resolves.toBeUndefined();
  });

  it('rejects with a TransientMailError when nothing listens', async () => {
    const mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${await closedPort()}`,
      from: FROM,
    });
    try {
      const err = await mailer.verify().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientMailError);
      expect(err).toMatchObject({ reason: 'connection', originalCode: 'ECONNREFUSED' });
    } finally {
      await mailer.close();
    }
  });
});

describe('createMailer configuration', () => {
  it.each([
    ['not a URL', { smtpUrl: 'localhost:1025', from: FROM }],
    ['another scheme', { smtpUrl: 'http://127.0.0.1:1025', from: FROM }],
    ['no from', { smtpUrl: 'smtp://127.0.0.1:1025', from: ' ' }],
    ['a zero timeout', { smtpUrl: 'smtp://127.0.0.1:1025', from: FROM, timeoutMs: 0 }],
  ])('refuses %s with a MailConfigError', (_label, options) => {
    expect(() => createMailer(options)).toThrow(MailConfigError);
  });
});
