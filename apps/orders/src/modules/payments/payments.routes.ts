// The payment provider's webhook: verify the signature over the exact bytes received, store
// the event once by its id, answer 200 at once, and process it from the inbox afterwards
// (payment-events.processor.ts). A bad signature is a 400 and changes nothing; a redelivery
// is a 200 that changes nothing. See docs/payments.md#the-receiving-end.
import { AppError } from '@meridian/errors';
import { type PaymentProvider, WebhookSignatureError } from '@meridian/payments';
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import type { OrdersDb } from '../../db/client.ts';
import type { PaymentEventProcessor } from './payment-events.processor.ts';
import { recordEvent } from './payment-events.repository.ts';

const Problem = Type.Ref('Problem');

export const paymentWebhookRoutes: RoutePlugin<{
  db: OrdersDb;
  payments: PaymentProvider;
  processor: PaymentEventProcessor;
}> = async (app, { db, payments, processor }) => {
  // Only in this scope: JSON stays a Buffer, because the signature covers the bytes as sent
  // and re-serialized JSON would not match.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  // Processors send JSON; anything else is a 415 before any signature work.
  app.removeContentTypeParser(['text/plain']);

  app.post(
    '/payments/webhook',
    {
      // The signature is the authentication; senders come from many addresses (and the
      // sandbox from one), so the per-address budget would only drop real events.
      config: { rateLimit: false },
      schema: {
        tags: ['payments'],
        summary: "The payment provider's signed event callback (not for API clients)",
        response: {
          200: Type.Object(
            { received: Type.Boolean(), duplicate: Type.Boolean(), ignored: Type.Boolean() },
            { additionalProperties: false },
          ),
          400: Problem,
          415: Problem,
        },
      },
    },
    async (request) => {
      let event: ReturnType<PaymentProvider['parseWebhook']>;
      try {
        event = payments.parseWebhook(request.body as Buffer, request.headers);
      } catch (err) {
        if (err instanceof WebhookSignatureError) {
          // Why, for the log only: telling the sender which check failed helps a forger.
          request.log.warn({ reason: err.reason }, 'webhook signature rejected');
          throw new AppError({
            status: 400,
            code: 'invalid-signature',
            detail: 'The webhook signature is missing, invalid or too old.',
          });
        }
        throw err;
      }
      // Authentic but not an event orders acts on: acknowledge, or the sender retries for days.
      if (event === null) return { received: true, duplicate: false, ignored: true };
      const isNew = await recordEvent(db, {
        id: event.id,
        provider: payments.name,
        type: event.type,
        providerPaymentId: event.providerPaymentId,
        payload: event,
      });
      if (isNew) void processor.poke();
      return { received: true, duplicate: !isNew, ignored: false };
    },
  );
};
