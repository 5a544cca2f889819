// buildApp(config): the orders service, assembled top-down; ordersService is also a plain
// plugin so the services can later share one process (ARC-02).

import { ServiceTokenSource } from '@meridian/auth-verify';
import { idempotency } from '@meridian/idempotency';
import { createOutboxRelay } from '@meridian/outbox';
import { createPaymentProvider, type PaymentProvider } from '@meridian/payments';
import { orderEvents, queuePrefix } from '@meridian/queues';
import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { type CatalogClient, createHttpCatalogClient } from './clients/catalog.ts';
import { type Config, resolveSecrets } from './config.ts';
import { createOrdersDb } from './db/client.ts';
import { idempotencyKeys, outbox } from './db/schema/index.ts';
import { cartRoutes } from './modules/carts/carts.routes.ts';
import { cartsService } from './modules/carts/carts.service.ts';
import { isTerminal, type OrderStatus } from './modules/orders/order-status.ts';
import { orderRoutes } from './modules/orders/orders.routes.ts';
import { ordersService as createOrdersService } from './modules/orders/orders.service.ts';
import { createPaymentEventProcessor } from './modules/payments/payment-events.processor.ts';
import { paymentWebhookRoutes } from './modules/payments/payments.routes.ts';
import { orderEventsRoutes } from './modules/realtime/order-events.routes.ts';
import { createOrderStatusHub } from './modules/realtime/order-status-hub.ts';
import { shippingRoutes } from './modules/shipping/shipping.routes.ts';
import { shippingService } from './modules/shipping/shipping.service.ts';
import { createPoller } from './poller.ts';

/** What a test (or the one-process mode) may supply instead of the production wiring. */
export interface OrdersOverrides {
  /** The token orders presents to catalog; default a client-credentials ServiceTokenSource. */
  catalogToken?: () => Promise<string>;
}

interface RoutesOptions {
  config: Config;
  overrides: OrdersOverrides;
}

export const ordersService: FastifyPluginAsync<RoutesOptions> = async (
  app,
  { config, overrides },
) => {
  const db = createOrdersDb(app.pg);
  const secrets = resolveSecrets(config);

  const tokens = overrides.catalogToken
    ? null
    : new ServiceTokenSource({
        tokenUrl: config.AUTH_TOKEN_URL,
        clientId: config.ORDERS_CLIENT_ID,
        clientSecret: secrets.clientSecret,
        scope: 'inventory:reserve',
      });
  const catalog: CatalogClient = createHttpCatalogClient({
    baseUrl: config.CATALOG_URL,
    timeoutMs: config.CATALOG_TIMEOUT_MS,
    retries: { attempts: config.CATALOG_RETRIES, baseDelayMs: 50, maxDelayMs: 500 },
    breaker: { resetTimeoutMs: config.CATALOG_BREAKER_RESET_MS },
    token: overrides.catalogToken ?? (() => (tokens as ServiceTokenSource).getToken()),
    ...(tokens ? { onUnauthorized: () => tokens.invalidate() } : {}),
    registry: app.metrics.registry,
  });
  app.addHook('onClose', async () => catalog.close());

  const payments = lazyPaymentProvider(app, config, secrets.webhookSecret);
  app.addHook('onClose', () => payments.close());

  const hub = createOrderStatusHub({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    log: app.log,
  });
  app.addHook('onClose', () => hub.close());

  const carts = cartsService(db, catalog);
  const orders = createOrdersService({
    db,
    catalog,
    payments,
    carts,
    reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
    onStatusChange: (change) => hub.publish(change),
    onCompensationDue: () => void compensator.poke(),
    onPaymentEventStored: () => void processor.poke(),
    log: app.log,
  });

  // Releases holds a failed step may have left in catalog (docs/sagas.md#compensation).
  const compensator = createPoller({
    name: 'compensations',
    batchSize: 20,
    intervalMs: config.COMPENSATION_INTERVAL_MS,
    runOnce: () => orders.compensateDue(20),
    log: app.log,
  });
  compensator.start();
  app.addHook('onClose', () => compensator.stop());

  const processor = createPaymentEventProcessor({
    db,
    apply: (event) => orders.applyPaymentEvent(event),
    intervalMs: config.PAYMENT_EVENTS_INTERVAL_MS,
    log: app.log,
  });
  processor.start();
  app.addHook('onClose', () => processor.stop());

  const idempotent = idempotency({
    db,
    table: idempotencyKeys,
    windowMs: config.IDEMPOTENCY_WINDOW_MS,
    registry: app.metrics.registry,
  });

  await app.register(shippingRoutes, { prefix: '/v1', shipping: shippingService(db) });
  await app.register(cartRoutes, { prefix: '/v1', carts });
  await app.register(orderRoutes, { prefix: '/v1', orders, idempotent });
  await app.register(orderEventsRoutes, {
    prefix: '/v1',
    hub,
    loadOrder: (id: string) => orders.statusOf(id),
    isTerminal: (status: string) => isTerminal(status as OrderStatus),
  });
  await app.register(paymentWebhookRoutes, { prefix: '/v1', db, payments, processor });

  // Order events in orders.outbox go to BullMQ for the jobs service (docs/outbox.md).
  if (config.OUTBOX_RELAY_INTERVAL_MS > 0) {
    const relay = createOutboxRelay({
      db,
      table: outbox,
      contracts: [orderEvents],
      redisUrl: config.REDIS_URL,
      prefix: queuePrefix(config.REDIS_PREFIX),
      name: 'orders',
      intervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
      batchSize: config.OUTBOX_RELAY_BATCH_SIZE,
      retentionMs: config.OUTBOX_RETENTION_MS,
      log: app.log,
      registry: app.metrics.registry,
    });
    relay.start();
    app.addHook('onClose', () => relay.stop());
  }
};

// The sandbox delivers webhooks to this service's own endpoint unless PAYMENT_WEBHOOK_URL says
// otherwise; the port is known only once the server listens (0 in tests), so the provider is
// made on first use.
function lazyPaymentProvider(
  app: FastifyInstance,
  config: Config,
  webhookSecret: string,
): PaymentProvider {
  let provider: PaymentProvider | undefined;
  const get = () => {
    if (!provider) {
      const address = app.server.address();
      const ownUrl =
        address && typeof address === 'object'
          ? `http://127.0.0.1:${address.port}/v1/payments/webhook`
          : undefined;
      provider = createPaymentProvider({
        provider: config.PAYMENT_PROVIDER,
        webhookSecret,
        webhookUrl: config.PAYMENT_WEBHOOK_URL ?? ownUrl,
        stripeSecretKey: config.STRIPE_SECRET_KEY,
        stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
        sandbox: {
          outcomeDelayMs: config.SANDBOX_OUTCOME_DELAY_MS,
          delayedOutcomeDelayMs: config.SANDBOX_OUTCOME_DELAY_MS * 40,
        },
        log: app.log,
      });
    }
    return provider;
  };
  return {
    name: config.PAYMENT_PROVIDER,
    get signatureHeader() {
      return get().signatureHeader;
    },
    createPayment: (input) => get().createPayment(input),
    retrievePayment: (id) => get().retrievePayment(id),
    cancelPayment: (id) => get().cancelPayment(id),
    refundPayment: (input) => get().refundPayment(input),
    parseWebhook: (body, headers) => get().parseWebhook(body, headers),
    close: async () => provider?.close(),
  };
}

export async function buildApp(
  config: Config,
  overrides: OrdersOverrides = {},
): Promise<ServiceInstance> {
  return createService({
    name: 'orders',
    version: '0.1.0',
    description: 'Carts, orders and payments.',
    config,
    routes: ordersService,
    routesOptions: { config, overrides },
  });
}
