// Each template renders subject, text and html from its data, escapes everything that reaches
// the HTML, and refuses links that are not http(s).
import { describe, expect, it } from 'vitest';
import {
  accountVerification,
  type OrderConfirmationInput,
  orderConfirmation,
  passwordReset,
  paymentFailed,
} from '../src/index.ts';

const SCRIPT = '<script>alert("pwned")</script>';

function expectNoRawMarkup(html: string) {
  expect(html).not.toContain('<script');
  expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
}

describe('accountVerification', () => {
  const input = {
    displayName: 'Ada',
    verifyUrl: 'https://shop.meridian.example/verify?token=abc123',
    expiresInMinutes: 30,
  };

  it('greets by name, links the URL in text and html, and says when it expires', () => {
    const mail = accountVerification(input);
    expect(mail.subject).toBe('Confirm your email address for Meridian');
    expect(mail.text).toContain('Hi Ada,');
    expect(mail.text).toContain(input.verifyUrl);
    expect(mail.text).toContain('This link expires in 30 minutes.');
    expect(mail.html).toContain(`href="${input.verifyUrl}"`);
    expect(mail.html).toContain('Hi Ada,');
  });

  it('without a display name, greets without one', () => {
    const mail = accountVerification({ ...input, displayName: undefined });
    expect(mail.text.startsWith('Hi,\n')).toBe(true);
  });

  it('escapes an injected <script> in the display name in the html', () => {
    const mail = accountVerification({ ...input, displayName: SCRIPT });
    expectNoRawMarkup(mail.html);
    expect(mail.text).toContain(`Hi ${SCRIPT},`); // plain text is not HTML: shown as typed
  });

  it('escapes quotes and ampersands of the URL inside href', () => {
    const url = 'https://shop.meridian.example/verify?token=a"b&x=<y>';
    const mail = accountVerification({ ...input, verifyUrl: url });
    expect(mail.html).toContain(
      'href="https://shop.meridian.example/verify?token=a&quot;b&amp;x=&lt;y&gt;"',
    );
    expect(mail.html).not.toContain('token=a"b');
  });

  it.each([['javascript:alert(1)'], ['data:text/html,<b>x</b>'], ['/relative/path']])(
    'refuses %s as the link',
    (verifyUrl) => {
      expect(() => accountVerification({ ...input, verifyUrl })).toThrow(TypeError);
    },
  );

  it.each([
    [60, '1 hour'],
    [90, '90 minutes'],
    [1, '1 minute'],
    [2880, '2 days'],
  ])('words %i minutes as "%s"', (expiresInMinutes, words) => {
    expect(accountVerification({ ...input, expiresInMinutes }).text).toContain(
      `expires in ${words}.`,
    );
  });

  it('refuses an expiry that is not a positive whole number of minutes', () => {
    expect(() => accountVerification({ ...input, expiresInMinutes: 0 })).toThrow(RangeError);
    expect(() => accountVerification({ ...input, expiresInMinutes: 1.5 })).toThrow(RangeError);
  });
});

describe('passwordReset', () => {
  const input = {
    displayName: 'Grace',
    resetUrl: 'https://shop.meridian.example/reset?token=r-42',
    expiresInMinutes: 60,
  };

  it('links the reset URL, says it expires and works once, and what to do if it was not you', () => {
    const mail = passwordReset(input);
    expect(mail.subject).toBe('Reset your Meridian password');
    expect(mail.text).toContain('Hi Grace,');
    expect(mail.text).toContain(input.resetUrl);
    expect(mail.text).toContain('This link expires in 1 hour and works once.');
    expect(mail.text).toContain('If this was not you, ignore this email');
    expect(mail.html).toContain('If this was not you, ignore this email');
    expect(mail.html).toContain(`href="${input.resetUrl}"`);
  });

  it('escapes an injected <script> in the display name in the html', () => {
    expectNoRawMarkup(passwordReset({ ...input, displayName: SCRIPT }).html);
  });

  it('refuses a non-http link', () => {
    expect(() => passwordReset({ ...input, resetUrl: 'javascript:void(0)' })).toThrow(TypeError);
  });
});

describe('orderConfirmation', () => {
  const order: OrderConfirmationInput = {
    orderId: 'ord_7f3a',
    currency: 'EUR',
    lines: [
      { name: 'Trail shoe', sku: 'SHOE-42', quantity: 2, unitPriceMinor: 12900, currency: 'EUR' },
      { name: 'Wool socks', sku: 'SOCK-1', quantity: 1, unitPriceMinor: 1299, currency: 'EUR' },
    ],
    itemsTotalMinor: 27099,
    shippingMinor: 490,
    totalMinor: 27589,
  };

  it('names the order in the subject', () => {
    expect(orderConfirmation(order).subject).toBe('Your Meridian order ord_7f3a is confirmed');
  });

  it('lays the lines out as an aligned text table with line amounts and the totals', () => {
    const { text } = orderConfirmation(order);
    const rows = text.split('\n');
    const header = rows.find((l) => l.startsWith('Item'));
    const shoe = rows.find((l) => l.startsWith('Trail shoe'));
    const socks = rows.find((l) => l.startsWith('Wool socks'));
    expect(header).toMatch(/^Item\s+SKU\s+Qty\s+Unit price\s+Amount$/);
    expect(shoe).toMatch(/^Trail shoe\s+SHOE-42\s+2\s+€129\.00\s+€258\.00$/);
    expect(socks).toMatch(/^Wool socks\s+SOCK-1\s+1\s+€12\.99\s+€12\.99$/);
    // Right-aligned amounts: every row of the table ends in the same column.
    expect(new Set([header, shoe, socks].map((l) => l?.length)).size).toBe(1);
    expect(text).toMatch(/Items\s+€270\.99/);
    expect(text).toMatch(/Shipping\s+€4\.90/);
    expect(text).toMatch(/Total\s+€275\.89/);
  });

  it('puts every line and total in the html table', () => {
    const { html } = orderConfirmation(order);
    for (const s of ['Trail shoe', 'SKU SHOE-42', '€129.00', '€258.00', 'Wool socks', '€12.99']) {
      expect(html).toContain(s);
    }
    expect(html).toMatch(/Total<\/td>\s*<td[^>]*>€275\.89<\/td>/);
  });

  it('formats a zero-decimal currency without decimals', () => {
    const yen = orderConfirmation({
      ...order,
      currency: 'JPY',
      lines: [{ name: 'Tea', sku: 'TEA-1', quantity: 3, unitPriceMinor: 1200, currency: 'JPY' }],
      itemsTotalMinor: 3600,
      shippingMinor: 500,
      totalMinor: 4100,
    });
    expect(yen.text).toMatch(/^Tea\s+TEA-1\s+3\s+¥1,200\s+¥3,600$/m);
    expect(yen.text).toMatch(/Total\s+¥4,100/);
  });

  it('escapes product names and SKUs in the html', () => {
    const { html } = orderConfirmation({
      ...order,
      lines: [{ ...(order.lines[0] as OrderConfirmationInput['lines'][0]), name: SCRIPT }],
    });
    expectNoRawMarkup(html);
  });

  it('refuses a line in another currency than the order', () => {
    expect(() =>
      orderConfirmation({
        ...order,
        lines: [{ name: 'X', sku: 'X-1', quantity: 1, unitPriceMinor: 100, currency: 'USD' }],
      }),
    ).toThrow(RangeError);
  });
});

describe('paymentFailed', () => {
  it('gives the reason and a retry link when there is one', () => {
    const mail = paymentFailed({
      orderId: 'ord_1',
      reason: 'Your card was declined.',
      retryUrl: 'https://shop.meridian.example/orders/ord_1/pay',
    });
    expect(mail.subject).toBe('Payment for your Meridian order ord_1 failed');
    expect(mail.text).toContain('Reason: Your card was declined.');
    expect(mail.text).toContain('https://shop.meridian.example/orders/ord_1/pay');
    expect(mail.html).toContain('href="https://shop.meridian.example/orders/ord_1/pay"');
  });

  it('without a retry link, suggests ordering again and links nothing', () => {
    const mail = paymentFailed({ orderId: 'ord_1', reason: 'Declined.' });
    expect(mail.text).toContain('you can place the order again');
    expect(mail.html).not.toContain('<a ');
  });

  it('escapes the reason in the html', () => {
    expectNoRawMarkup(paymentFailed({ orderId: 'ord_1', reason: SCRIPT }).html);
  });

  it('refuses a non-http retry link', () => {
    expect(() =>
      paymentFailed({ orderId: 'o', reason: 'r', retryUrl: 'javascript:alert(1)' }),
    ).toThrow(TypeError);
  });
});
