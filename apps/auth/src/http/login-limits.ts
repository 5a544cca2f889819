// Login (and registration) rate limits, on top of the kit's general per-IP limit: a tighter
// budget per client IP and one per account (the normalized email, hashed), both counted in
// Redis so every replica shares them. Each of these requests costs an argon2 hash, so they
// are also a CPU-exhaustion guard. @fastify/rate-limit's route hooks run only one limiter per request,
// so this preHandler calls two limiters built with createRateLimit and answers 429 itself.
import { createHash } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import { AppError } from '@meridian/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { normalizeEmail } from '../modules/credentials/email.ts';

export interface LoginLimitSettings {
  /** Key namespace and problem code stem: 'login' or 'register'. */
  name: 'login' | 'register';
  perIp: number;
  perAccount: number;
  windowMs: number;
  /** The account a request is about, if any (the email or client id in the body). */
  accountOf: (request: FastifyRequest) => string | undefined;
}

const hashed = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

export function loginLimits(app: FastifyInstance, s: LoginLimitSettings) {
  const never = () => false;
  const byIp = app.createRateLimit({
    max: s.perIp,
    timeWindow: s.windowMs,
    // IPv6 by /64, as the kit's limiter does: one host owns a whole /64 and could step through it.
    keyGenerator: (req) => `${s.name}-ip:${normalizeIP(req.ip)}`,
    allowList: never,
  });
  const byAccount = app.createRateLimit({
    max: s.perAccount,
    timeWindow: s.windowMs,
    keyGenerator: (req) => `${s.name}-account:${hashed(normalizeEmail(s.accountOf(req) ?? ''))}`,
    allowList: never,
  });

  return async function limitLogins(request: FastifyRequest): Promise<void> {
    const checks = [byIp(request)];
    if (s.accountOf(request) !== undefined) checks.push(byAccount(request));
    for (const result of await Promise.all(checks)) {
      if (!result.isAllowed && result.isExceeded) {
        const retry = Math.max(1, result.ttlInSeconds);
        throw new AppError({
          status: 429,
          code: `${s.name}-rate-limited`,
          detail: `Too many ${s.name} attempts; retry after ${retry} s.`,
          headers: { 'retry-after': String(retry) },
        });
      }
    }
  };
}
