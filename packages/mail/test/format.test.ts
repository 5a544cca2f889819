// Money from minor units and HTML escaping, the two things every template relies on.
import { describe, expect, it } from 'vitest';
import { escapeHtml, formatMoney, minorUnitDigits } from '../src/index.ts';

// Intl puts a no-break space between a currency code and the amount; compare on plain spaces.
const plain = (s: string) => s.replace(/\u00a0/g, ' ');

describe('escapeHtml', () => {
  it('escapes the five characters that can end a text node or a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
  });

  it('escapes an existing entity again, so text is shown exactly as given', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });

  it('leaves other text, non-ASCII included, alone', () => {
    expect(escapeHtml('Zoë – 100 % naïve ✓')).toBe('Zoë – 100 % naïve ✓');
  });
});

describe('formatMoney', () => {
  it.each([
    [129900, 'EUR', '€1,299.00'],
    [5, 'EUR', '€0.05'],
    [0, 'EUR', '€0.00'],
    [-1250, 'EUR', '-€12.50'],
    [490, 'USD', '$4.90'],
    [999, 'GBP', '£9.99'],
  ])('%i minor units of %s → %s', (minor, currency, expected) => {
    expect(formatMoney(minor, currency)).toBe(expected);
  });

  it('treats JPY minor units as whole yen: Intl says it has no fraction digits', () => {
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(formatMoney(1299, 'JPY')).toBe('¥1,299');
    expect(formatMoney(129900, 'JPY')).toBe('¥129,900');
  });

  it('divides by 1000 for three-decimal currencies (KWD)', () => {
    expect(minorUnitDigits('KWD')).toBe(3);
    expect(plain(formatMoney(1299500, 'KWD'))).toBe('KWD 1,299.500');
  });

  it('uses the ISO 4217 exponent where CLDR shows no decimals (HUF), never rounding', () => {
    // CLDR (and so Intl) displays HUF with 0 decimals, but amounts are in fillér (1/100).
    expect(
      new Intl.NumberFormat('en', { style: 'currency', currency: 'HUF' }).resolvedOptions()
        .maximumFractionDigits,
    ).toBe(0);
    expect(minorUnitDigits('HUF')).toBe(2);
    expect(plain(formatMoney(129950, 'HUF'))).toBe('HUF 1,299.50');
  });

  it('formats the largest safe integer exactly', () => {
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'EUR')).toBe('€90,071,992,547,409.91');
  });

  it('refuses amounts that are not whole minor units', () => {
    expect(() => formatMoney(12.5, 'EUR')).toThrow(RangeError);
    expect(() => formatMoney(Number.NaN, 'EUR')).toThrow(RangeError);
  });

  it('refuses a malformed currency code', () => {
    expect(() => formatMoney(100, 'EURO')).toThrow(RangeError);
  });
});
