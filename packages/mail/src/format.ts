// The two formatting primitives the templates depend on: HTML escaping and money from integer
// minor units. Both are small on purpose; docs/email.md explains why templates escape.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML element content and for quoted attribute values. These five characters
 * are all that can end a text node or a quoted attribute, so escaping them is enough as long as
 * every interpolation sits in one of those two places (never inside a tag name, an unquoted
 * attribute, a <script> or a <style>). The templates keep to that, which is why no library is
 * needed. `&#39;` rather than `&apos;`: older mail clients render HTML 4, which lacks `&apos;`.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * Currencies whose ISO 4217 minor unit differs from the fraction digits CLDR (and so Intl)
 * displays: CLDR shows these without decimals (IQD: with none instead of three) because the
 * small coins are out of use, but amounts are still counted in ISO minor units (Stripe, too,
 * takes HUF in fillér). Reading the exponent from Intl alone would show 129900 HUF-minor as
 * "HUF 129,900" instead of "HUF 1,299.00", a hundredfold error on a receipt.
 */
const ISO_MINOR_DIGITS_UNLIKE_CLDR: Record<string, number> = {
  AFN: 2,
  ALL: 2,
  COP: 2,
  HUF: 2,
  IDR: 2,
  IQD: 3,
  IRR: 2,
  KPW: 2,
  LAK: 2,
  LBP: 2,
  MGA: 2,
  MMK: 2,
  PKR: 2,
  SLL: 2,
  SOS: 2,
  SYP: 2,
  YER: 2,
};

const formatters = new Map<string, Intl.NumberFormat>();

function currencyFormatter(currency: string, locale: string): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    // Throws a RangeError for a malformed code ("EURO"); a well-formed but unknown code
    // ("ABC") is formatted with its code and two decimals, as Intl does.
    const probe = new Intl.NumberFormat(locale, { style: 'currency', currency });
    const digits =
      ISO_MINOR_DIGITS_UNLIKE_CLDR[currency.toUpperCase()] ??
      probe.resolvedOptions().maximumFractionDigits ??
      2;
    // Show exactly the minor units charged: never round 1,299.50 to 1,300.
    formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formatters.set(key, formatter);
  }
  return formatter;
}

/** How many minor units make one major unit is 10 ** this (EUR 2, JPY 0, KWD 3). */
export function minorUnitDigits(currency: string): number {
  return currencyFormatter(currency, 'en').resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Formats an integer amount of minor units (cents for EUR, yen for JPY, fils for KWD) as money:
 * formatMoney(129900, 'EUR') → "€1,299.00", formatMoney(1299, 'JPY') → "¥1,299". The decimal is
 * built as a string and handed to Intl as such, so no binary floating point is involved.
 */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  if (!Number.isSafeInteger(minor)) {
    throw new RangeError(`Money must be an integer number of minor units, got ${minor}.`);
  }
  const formatter = currencyFormatter(currency, locale);
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  const sign = minor < 0 ? '-' : '';
  const units = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = units.slice(0, units.length - digits);
  const decimal = digits === 0 ? whole : `${whole}.${units.slice(units.length - digits)}`;
  return formatter.format(`${sign}${decimal}` as Intl.StringNumericLiteral);
}
