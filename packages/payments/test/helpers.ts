// Test fixtures: a real Fastify webhook receiver on loopback that reads the raw body and
// verifies it the way the orders endpoint will, answers with scripted statuses, and records
// everything; plus a polling wait and a logger that keeps its lines.
import Fastify, { type FastifyInstance } from 'fastify';
import type { PaymentEvent, PaymentProvider, PaymentsLogger } from '../src/index.ts';
import { WebhookSignatureError } from '../src/index.ts';

export const SECRET = 'whsec_test_sandbox_secret_0123456789abcdef';

export interface Delivery {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  at: number;
  /** What the receiver answered. */
  status: number;
  event?: PaymentEvent | null;
  rejected?: string;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Events that verified, in arrival order. */
  events(): PaymentEvent[];
  /** What to do with the next requests, in order; afterwards every request gets 200. */
  script(...steps: Array<number | 'drop'>): void;
  /** The provider whose parseWebhook verifies requests (set after the provider exists). */
  verifyWith(provider: PaymentProvider): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const steps: Array<number | 'drop'> = [];
  let provider: PaymentProvider | undefined;
  const app: FastifyInstance = Fastify();
  // The signature covers the exact bytes sent: parse nothing before verifying.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.post('/webhooks/payments', async (req, reply) => {
    const step = steps.shift() ?? 200;
    const delivery: Delivery = {
      rawBody: req.body as Buffer,
      headers: req.headers,
      at: Date.now(),
      status: typeof step === 'number' ? step : 0,
    };
    deliveries.push(delivery);
    if (step === 'drop') {
      req.raw.socket.destroy(); // the network failed mid-request
      return reply.hijack();
    }
    if (step !== 200) return reply.code(step).send({ error: 'scripted' });
    if (!provider) throw new Error('receiver has no provider to verify with');
    try {
      delivery.event = provider.parseWebhook(delivery.rawBody, req.headers);
    } catch (err) {
      if (!(err instanceof WebhookSignatureError)) throw err;
      delivery.status = 400;
      delivery.rejected = err.reason;
      return reply.code(400).send({ error: 'invalid signature' });
    }
    return reply.code(200).send({ received: true });
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${address}/webhooks/payments`,
    deliveries,
    events: () => deliveries.flatMap((d) => (d.event ? [d.event] : [])),
    script: (...next) => steps.push(...next),
    verifyWith: (p) => {
      provider = p;
    },
    close: () => app.close(),
  };
}

/** Polls until check() returns something truthy; fails with `what` after timeoutMs. */
export async function waitFor<T>(
  check: () => T | undefined | null | false,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export function memoryLogger(): PaymentsLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

let seq = 0;
/** A unique order id and idempotency key per call, so tests never share state by accident. */
export function uniqueOrder(): { orderId: string; idempotencyKey: string } {
  seq += 1;
  const n = `${process.pid}-${Date.now()}-${seq}`;
  return { orderId: `ord_${n}`, idempotencyKey: `pay-${n}` };
}
