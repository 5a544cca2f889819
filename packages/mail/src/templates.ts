// The messages Meridian sends, as plain typed functions: data in, { subject, text, html } out.
// Every value that reaches the HTML goes through escapeHtml, and every link must be http(s);
// the plain-text part is the same content for clients that do not render HTML.
import { escapeHtml, formatMoney } from './format.ts';

/** A message ready for Mailer.send: the recipient is added by the caller. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const BRAND = 'Meridian';

export interface AccountVerificationInput {
  displayName?: string;
  verifyUrl: string;
  expiresInMinutes: number;
}

export function accountVerification(input: AccountVerificationInput): RenderedMail {
  const url = linkUrl(input.verifyUrl, 'verifyUrl');
  const expiry = `This link expires in ${duration(input.expiresInMinutes)}.`;
  const intro = `Please confirm your email address to finish setting up your ${BRAND} account.`;
  const ignore = 'If you did not create an account, you can ignore this email.';
  return {
    subject: `Confirm your email address for ${BRAND}`,
    text: lines(greeting(input.displayName), '', intro, '', url, '', expiry, ignore),
    html: layout(
      `Confirm your email address`,
      [
        p(escapeHtml(greeting(input.displayName))),
        p(escapeHtml(intro)),
        button(url, 'Confirm email address'),
        p(`${escapeHtml(expiry)} ${escapeHtml(ignore)}`),
        fallbackLink(url),
      ].join('\n'),
    ),
  };
}

export interface PasswordResetInput {
  displayName?: string;
  resetUrl: string;
  expiresInMinutes: number;
}

export function passwordReset(input: PasswordResetInput): RenderedMail {
  const url = linkUrl(input.resetUrl, 'resetUrl');
  const intro = `Someone asked to reset the password of your ${BRAND} account.`;
  const expiry = `This link expires in ${duration(input.expiresInMinutes)} and works once.`;
  // Reassure, and say what to do: the link alone cannot change anything.
  const notYou =
    'If this was not you, ignore this email: your password stays as it is. If you keep ' +
    'getting these emails, or think someone else knows your password, change it after ' +
    'signing in and contact support.';
  return {
    subject: `Reset your ${BRAND} password`,
    text: lines(
      greeting(input.displayName),
      '',
      intro,
      'To choose a new password, open this link:',
      '',
      url,
      '',
      expiry,
      '',
      notYou,
    ),
    html: layout(
      'Reset your password',
      [
        p(escapeHtml(greeting(input.displayName))),
        p(`${escapeHtml(intro)} To choose a new password, use the button below.`),
        button(url, 'Choose a new password'),
        p(escapeHtml(expiry)),
        p(escapeHtml(notYou)),
        fallbackLink(url),
      ].join('\n'),
    ),
  };
}

export interface OrderLine {
  name: string;
  sku: string;
  quantity: number;
  unitPriceMinor: number;
  currency: string;
}

export interface OrderConfirmationInput {
  orderId: string;
  lines: OrderLine[];
  itemsTotalMinor: number;
  shippingMinor: number;
  totalMinor: number;
  currency: string;
}

/**
 * Shows the totals it is given rather than recomputing them: the orders service is the source
 * of truth for what was charged. A line in another currency than the order is a bug upstream
 * and throws (a RangeError), because a receipt mixing currencies would be wrong either way.
 */
export function orderConfirmation(input: OrderConfirmationInput): RenderedMail {
  const money = (minor: number) => formatMoney(minor, input.currency);
  const rows = input.lines.map((line) => {
    if (line.currency.toUpperCase() !== input.currency.toUpperCase()) {
      throw new RangeError(
        `Order ${input.orderId}: line ${line.sku} is in ${line.currency}, the order in ${input.currency}.`,
      );
    }
    return {
      name: line.name,
      sku: line.sku,
      quantity: String(line.quantity),
      unitPrice: money(line.unitPriceMinor),
      amount: money(line.unitPriceMinor * line.quantity),
    };
  });
  const totals: Array<[string, string]> = [
    ['Items', money(input.itemsTotalMinor)],
    ['Shipping', money(input.shippingMinor)],
    ['Total', money(input.totalMinor)],
  ];
  const intro = `Thank you for your order ${input.orderId}. Here is what you ordered.`;

  const table = textTable(
    ['Item', 'SKU', 'Qty', 'Unit price', 'Amount'],
    rows.map((r) => [r.name, r.sku, r.quantity, r.unitPrice, r.amount]),
    ['left', 'left', 'right', 'right', 'right'],
  );
  const width = Math.max(...table.map((row) => row.length));
  const labelWidth = Math.max(...totals.map(([label]) => label.length));
  const valueWidth = Math.max(...totals.map(([, value]) => value.length));
  const totalLines = totals.map(([label, value]) =>
    `${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}`.padStart(width),
  );

  const cell = 'padding:6px 8px;border-bottom:1px solid #e5e5e5;';
  const htmlRows = rows
    .map(
      (r) =>
        `<tr><td style="${cell}">${escapeHtml(r.name)}<br><span style="color:#666;font-size:12px;">SKU ${escapeHtml(r.sku)}</span></td>` +
        `<td style="${cell}text-align:right;">${escapeHtml(r.quantity)}</td>` +
        `<td style="${cell}text-align:right;">${escapeHtml(r.unitPrice)}</td>` +
        `<td style="${cell}text-align:right;">${escapeHtml(r.amount)}</td></tr>`,
    )
    .join('\n');
  const htmlTotals = totals
    .map(
      ([label, value]) =>
        `<tr><td colspan="3" style="padding:4px 8px;text-align:right;">${escapeHtml(label)}</td>` +
        `<td style="padding:4px 8px;text-align:right;">${escapeHtml(value)}</td></tr>`,
    )
    .join('\n');

  return {
    subject: `Your ${BRAND} order ${input.orderId} is confirmed`,
    text: lines(
      'Hello,',
      '',
      intro,
      '',
      ...table,
      '',
      ...totalLines,
      '',
      `Order reference: ${input.orderId}`,
    ),
    html: layout(
      'Order confirmed',
      [
        p('Hello,'),
        p(escapeHtml(intro)),
        '<table role="presentation" style="width:100%;border-collapse:collapse;font-size:14px;">',
        '<thead><tr>' +
          `<th style="${cell}text-align:left;">Item</th>` +
          `<th style="${cell}text-align:right;">Qty</th>` +
          `<th style="${cell}text-align:right;">Unit price</th>` +
          `<th style="${cell}text-align:right;">Amount</th>` +
          '</tr></thead>',
        `<tbody>\n${htmlRows}\n</tbody>`,
        `<tfoot>\n${htmlTotals}\n</tfoot>`,
        '</table>',
        p(`Order reference: ${escapeHtml(input.orderId)}`),
      ].join('\n'),
    ),
  };
}

export interface PaymentFailedInput {
  orderId: string;
  /** Shown to the customer as is: a sentence for people, not a processor code. */
  reason: string;
  /** Where the customer can pay again, when the shop offers that. */
  retryUrl?: string;
}

export function paymentFailed(input: PaymentFailedInput): RenderedMail {
  const url = input.retryUrl === undefined ? undefined : linkUrl(input.retryUrl, 'retryUrl');
  const intro = `We could not take the payment for order ${input.orderId}.`;
  const reason = `Reason: ${input.reason}`;
  const state = 'You have not been charged, and the items are no longer reserved for you.';
  const next = url
    ? 'You can try again with another payment method:'
    : 'If you still want the items, you can place the order again.';
  return {
    subject: `Payment for your ${BRAND} order ${input.orderId} failed`,
    text: lines('Hello,', '', intro, reason, '', state, next, ...(url ? ['', url] : [])),
    html: layout(
      'Payment failed',
      [
        p('Hello,'),
        p(`${escapeHtml(intro)}<br>${escapeHtml(reason)}`),
        p(escapeHtml(state)),
        p(escapeHtml(next)),
        ...(url ? [button(url, 'Try again'), fallbackLink(url)] : []),
      ].join('\n'),
    ),
  };
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────

/**
 * Links must be absolute http(s) URLs. Escaping keeps a URL inside its href, but a
 * `javascript:` or `data:` URL would still be a live link there, so the scheme is checked too.
 */
function linkUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${field} must be an absolute URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${field} must be an http or https URL, got ${url.protocol}`);
  }
  return value;
}

function greeting(displayName: string | undefined): string {
  const name = displayName?.trim();
  return name ? `Hi ${name},` : 'Hi,';
}

function duration(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes <= 0) {
    throw new RangeError(`expiresInMinutes must be a positive integer, got ${minutes}`);
  }
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes % 1440 === 0) return plural(minutes / 1440, 'day');
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour');
  return plural(minutes, 'minute');
}

function lines(...parts: string[]): string {
  return `${parts.join('\n')}\n\n— ${BRAND}\n`;
}

/** Rows padded into aligned columns; widths count UTF-16 units, fine for the text part. */
function textTable(header: string[], rows: string[][], align: Array<'left' | 'right'>): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const render = (row: string[]) =>
    row
      .map((value, i) =>
        align[i] === 'right' ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [render(header), rule, ...rows.map(render)];
}

// `html` arguments below are already-escaped HTML; only `url` and `label` are raw text.

function p(html: string): string {
  return `<p style="margin:0 0 16px;">${html}</p>`;
}

function button(url: string, label: string): string {
  return (
    `<p style="margin:24px 0;"><a href="${escapeHtml(url)}" ` +
    'style="background:#1f4fd1;color:#ffffff;padding:12px 20px;border-radius:4px;text-decoration:none;display:inline-block;">' +
    `${escapeHtml(label)}</a></p>`
  );
}

function fallbackLink(url: string): string {
  return p(
    '<span style="color:#666;font-size:12px;">If the button does not work, copy this link into your browser:<br>' +
      `<a href="${escapeHtml(url)}" style="color:#1f4fd1;word-break:break-all;">${escapeHtml(url)}</a></span>`,
  );
}

function layout(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f6f6f6;font-family:Arial,Helvetica,sans-serif;color:#222;">',
    '<div style="max-width:600px;margin:0 auto;background:#ffffff;padding:24px;border-radius:6px;">',
    `<h1 style="font-size:20px;margin:0 0 16px;">${escapeHtml(title)}</h1>`,
    body,
    `<p style="margin:24px 0 0;color:#666;font-size:12px;">${BRAND}</p>`,
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
