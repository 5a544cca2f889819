// Password rules in the spirit of NIST SP 800-63B-4: length is what matters (15+ for a
// password that is the only factor, at least 64 allowed), no composition rules, and a
// blocklist of common, expected and context-specific values. The common list is
// zxcvbn-ts' 49k most-used passwords, bundled with the service (no network call).
import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MAX_LENGTH = 128;

const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export interface PolicyContext {
  email?: string;
  displayName?: string;
}

/** Why the password is refused, or null when it is acceptable. */
export function passwordProblem(
  password: string,
  minLength: number,
  context: PolicyContext = {},
): string | null {
  const normalized = password.normalize('NFKC');
  const length = [...normalized].length; // code points, not UTF-16 units
  if (length < minLength) return `must be at least ${minLength} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  const lower = normalized.toLowerCase();
  if (COMMON.has(lower)) return 'is one of the most commonly used passwords';
  if (/^(.)\1*$/su.test(normalized)) return 'must not be a single repeated character';
  const context_ = [
    context.email,
    context.email?.split('@')[0],
    context.displayName,
    'meridian',
  ].filter((v): v is string => Boolean(v && v.length >= 3));
  if (context_.some((word) => lower === word.toLowerCase()))
    return 'must not be your email, your name or the service name';
  // "meridianmeridian…" or "alice@example.comalice@example.com" are still guessable.
  if (context_.some((word) => lower.replaceAll(word.toLowerCase(), '') === ''))
    return 'must not be built only from your email, your name or the service name';
  return null;
}
