// What orders needs from catalog, as an interface the checkout saga and the cart depend on,
// and its HTTP implementation over @meridian/service-client (timeouts, retries for idempotent
// calls, a circuit breaker). The interface is the consumer's: a later in-process
// implementation (ARC-02, one process) drops in without touching the saga.
import { AppError } from '@meridian/errors';
import {
  createServiceClient,
  ServiceCallError,
  type ServiceClient,
  type ServiceClientOptions,
} from '@meridian/service-client';

/** A product as checkout snapshots it. */
export interface CatalogProduct {
  id: string;
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
}

export interface ReservationLine {
  productId: string;
  quantity: number;
}

export interface CatalogReservation {
  id: string;
  reservationKey: string;
  status: 'held' | 'confirmed' | 'released' | 'expired';
  expiresAt: string;
}

/** Catalog said no to a reservation: some lines are short. Nothing was held. */
export class InsufficientStockError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'InsufficientStockError';
  }
}

/** Confirm or release found the reservation no longer held (expired, or already released). */
export class ReservationNotHeldError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'ReservationNotHeldError';
  }
}

export interface CatalogClient {
  /** Live products by id; ids that are unknown, deleted or drafts are absent from the map. */
  getProducts(ids: readonly string[], requestId?: string): Promise<Map<string, CatalogProduct>>;
  /** Holds stock for every line or none; the key makes a retry the same reservation. */
  reserve(
    input: { reservationKey: string; lines: ReservationLine[]; ttlSeconds?: number },
    requestId?: string,
  ): Promise<CatalogReservation>;
  confirm(reservationId: string, requestId?: string): Promise<CatalogReservation>;
  release(reservationId: string, requestId?: string): Promise<CatalogReservation>;
  close(): void;
}

export type HttpCatalogClientOptions = Omit<ServiceClientOptions, 'name'>;

/** Catalog's limit per lookup call (MAX_LOOKUP_IDS there). */
const LOOKUP_MAX = 50;

const withRequestId = (requestId?: string) =>
  requestId ? { 'x-request-id': requestId } : undefined;

export function createHttpCatalogClient(opts: HttpCatalogClientOptions): CatalogClient {
  const client: ServiceClient = createServiceClient({ name: 'catalog', ...opts });

  // Confirm and release are safe to repeat (catalog answers the same for a second call), so
  // they are retried; a 409 means the hold is gone.
  async function settle(reservationId: string, action: 'confirm' | 'release', requestId?: string) {
    try {
      const res = await client.request<CatalogReservation>({
        method: 'POST',
        path: `/v1/inventory/reservations/${encodeURIComponent(reservationId)}/${action}`,
        idempotent: true,
        headers: withRequestId(requestId),
      });
      return res.body;
    } catch (err) {
      // 409: no longer held; 404: catalog knows no such hold (for this client). Either way
      // nothing is held that this call could settle, and retrying would not change that.
      if (err instanceof ServiceCallError && (err.status === 409 || err.status === 404)) {
        throw new ReservationNotHeldError(
          err.problem?.detail ?? `reservation not held (${action})`,
        );
      }
      throw asUnexpected(err);
    }
  }

  return {
    async getProducts(ids, requestId) {
      // One call for the whole cart (catalog answers each id from its product cache).
      const unique = [...new Set(ids)];
      const found = new Map<string, CatalogProduct>();
      for (let i = 0; i < unique.length; i += LOOKUP_MAX) {
        const res = await client.request<{ items: CatalogProduct[] }>({
          method: 'GET',
          path: '/v1/products/lookup',
          query: { ids: unique.slice(i, i + LOOKUP_MAX).join(',') },
          idempotent: true,
          headers: withRequestId(requestId),
        });
        for (const { id, sku, name, priceMinor, currency } of res.body.items) {
          found.set(id, { id, sku, name, priceMinor, currency });
        }
      }
      return found;
    },

    async reserve(input, requestId) {
      try {
        const res = await client.request<CatalogReservation>({
          method: 'POST',
          path: '/v1/inventory/reservations',
          body: input,
          // The same reservationKey on every attempt: catalog holds the stock once.
          idempotent: true,
          headers: withRequestId(requestId),
        });
        return res.body;
      } catch (err) {
        if (err instanceof ServiceCallError && err.status === 409) {
          throw new InsufficientStockError(err.problem?.detail ?? 'insufficient stock');
        }
        throw asUnexpected(err);
      }
    },

    confirm: (id, requestId) => settle(id, 'confirm', requestId),
    release: (id, requestId) => settle(id, 'release', requestId),
    close: () => client.close(),
  };
}

// Any other 4xx from catalog is a bug in this client or a contract drift, not the customer's
// doing: a 502 that says so, rather than passing catalog's problem through as ours.
function asUnexpected(err: unknown): unknown {
  if (!(err instanceof ServiceCallError)) return err;
  return new AppError({
    status: 502,
    code: 'catalog-contract',
    detail: `catalog answered ${err.status} to ${err.method} ${err.path}: ${err.problem?.detail ?? 'no detail'}`,
  });
}
