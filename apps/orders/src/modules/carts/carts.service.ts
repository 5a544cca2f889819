// Cart use cases, free of HTTP. Catalog is asked first and the transaction comes after it:
// no network call ever runs while a transaction (and the cart's lock) is held. Why the cart
// keeps ids and quantities only, and how the line cap stays race-free: docs/carts.md.
import { AppError } from '@meridian/errors';
import type { CatalogClient, CatalogProduct } from '../../clients/catalog.ts';
import type { DbOrTx, OrdersDb } from '../../db/client.ts';
import {
  type CartLine,
  deleteCartLine,
  deleteCartLines,
  findCartLines,
  insertCartLine,
  lockCart,
  updateCartLine,
} from './carts.repository.ts';
import { type Cart, type CartItem, MAX_CART_LINES, type Money } from './carts.schemas.ts';

export type { CartLine } from './carts.repository.ts';

/** How often a write re-reads catalog for lines another request added meanwhile. */
const MAX_PRICING_ROUNDS = 3;

const productUnavailable = (productId: string) =>
  new AppError({
    status: 422,
    code: 'product-unavailable',
    detail: `Product ${productId} is not for sale (unknown, not yet published or deleted).`,
    errors: [{ in: 'params', pointer: '/productId', detail: 'is not a live product' }],
  });

const currencyMismatch = (product: CatalogProduct, cartCurrency: string) =>
  new AppError({
    status: 422,
    code: 'currency-mismatch',
    detail: `Product ${product.id} is priced in ${product.currency}; this cart is in ${cartCurrency}. One cart holds one currency.`,
    errors: [{ in: 'params', pointer: '/productId', detail: `is priced in ${product.currency}` }],
    extensions: { cartCurrency, productCurrency: product.currency },
  });

const cartFull = () =>
  new AppError({
    status: 422,
    code: 'cart-full',
    detail: `A cart holds at most ${MAX_CART_LINES} different products; remove one before adding another.`,
    extensions: { maxLines: MAX_CART_LINES },
  });

const notInCart = (productId: string) =>
  new AppError({
    status: 404,
    code: 'not-in-cart',
    detail: `Product ${productId} is not in the cart.`,
  });

/**
 * The cart's currency: that of its oldest line still live in catalog. A line in another
 * currency (catalog changed its price list, or two first adds raced) is shown as unavailable
 * rather than summed into a meaningless total.
 */
function cartCurrency(
  lines: readonly CartLine[],
  products: ReadonlyMap<string, CatalogProduct>,
): string | undefined {
  for (const line of lines) {
    const product = products.get(line.productId);
    if (product) return product.currency;
  }
  return undefined;
}

/** Lines (oldest first) priced with catalog's products: the representation the API returns. */
export function priceCart(
  lines: readonly CartLine[],
  products: ReadonlyMap<string, CatalogProduct>,
): Cart {
  const currency = cartCurrency(lines, products);
  let amountMinor = 0;
  let itemCount = 0;
  const items = lines.map((line): CartItem => {
    const product = products.get(line.productId);
    if (!product) {
      return {
        productId: line.productId,
        sku: null,
        name: null,
        unitPrice: null,
        quantity: line.quantity,
        lineTotal: null,
        available: false,
        unavailableReason: 'product-unavailable',
      };
    }
    const unitPrice: Money = { amountMinor: product.priceMinor, currency: product.currency };
    const lineTotal: Money = {
      amountMinor: product.priceMinor * line.quantity,
      currency: product.currency,
    };
    const available = product.currency === currency;
    if (available) {
      amountMinor += lineTotal.amountMinor;
      itemCount += line.quantity;
    }
    return {
      productId: line.productId,
      sku: product.sku,
      name: product.name,
      unitPrice,
      quantity: line.quantity,
      lineTotal,
      available,
      unavailableReason: available ? null : 'currency-mismatch',
    };
  });
  return {
    items,
    subtotal: currency === undefined ? null : { amountMinor, currency },
    itemCount,
    lineCount: lines.length,
  };
}

export interface CartsService {
  /** The user's cart priced by catalog now. An empty cart does not call catalog. */
  get(userId: string, requestId?: string): Promise<Cart>;
  /**
   * Sets a line's quantity, creating the line if needed (`created`). 422 product-unavailable,
   * currency-mismatch or cart-full; catalog down is its client's 503, with nothing written.
   */
  setQuantity(
    userId: string,
    productId: string,
    quantity: number,
    requestId?: string,
  ): Promise<{ cart: Cart; created: boolean }>;
  /** Removes one line; 404 not-in-cart when there is none. Needs no catalog. */
  remove(userId: string, productId: string): Promise<void>;
  /** Empties the cart (no error when it is already empty). Needs no catalog. */
  empty(userId: string): Promise<void>;
  /**
   * For checkout: the raw lines, oldest first, no catalog call. Pass the checkout's
   * transaction to read inside it; lock the cart first (`lockCart` in carts.repository.ts)
   * if no cart write may slip in before the transaction ends.
   */
  listItems(userId: string, tx?: DbOrTx): Promise<CartLine[]>;
  /**
   * For checkout, inside its transaction: deletes the user's lines, or with `only` just the
   * lines still exactly as ordered (a line added or changed since checkout read the cart
   * stays). Returns how many lines went.
   */
  clear(userId: string, tx: DbOrTx, only?: readonly CartLine[]): Promise<number>;
}

export function cartsService(db: OrdersDb, catalog: CatalogClient): CartsService {
  return {
    async get(userId, requestId) {
      const lines = await findCartLines(db, userId);
      if (lines.length === 0) return priceCart(lines, new Map());
      const products = await catalog.getProducts(
        lines.map((l) => l.productId),
        requestId,
      );
      return priceCart(lines, products);
    },

    async setQuantity(userId, productId, quantity, requestId) {
      // Catalog first, outside any transaction: the product, and the lines already there
      // (the cart's currency). Catalog down throws here, before anything is written.
      const seen = await findCartLines(db, userId);
      // A full cart refuses a new line without asking catalog; the check that counts is the
      // one under the lock below.
      const isNew = !seen.some((l) => l.productId === productId);
      if (isNew && seen.length >= MAX_CART_LINES) throw cartFull();
      const asked = new Set([productId, ...seen.map((l) => l.productId)]);
      const products = new Map(await catalog.getProducts([...asked], requestId));
      const product = products.get(productId);
      if (!product) throw productUnavailable(productId);

      for (let round = 1; ; round++) {
        const outcome = await db.transaction(async (tx) => {
          // Every cart write for this user waits here, so the count below and the insert
          // after it cannot interleave with another request's.
          await lockCart(tx, userId);
          const lines = await findCartLines(tx, userId);
          // Lines added since catalog was asked: price them too, outside this transaction,
          // then start again. After a few rounds, an unpriced line counts as not live.
          const unpriced = lines.filter((l) => !asked.has(l.productId)).map((l) => l.productId);
          if (unpriced.length > 0 && round < MAX_PRICING_ROUNDS)
            return { kind: 'retry' as const, ids: unpriced };

          const existing = lines.some((l) => l.productId === productId);
          // The oldest live line decides, this product's own line included when it has one.
          const currency = cartCurrency(lines, products);
          if (currency !== undefined && currency !== product.currency) {
            throw currencyMismatch(product, currency);
          }
          const line = { userId, productId, quantity };
          if (existing) {
            await updateCartLine(tx, line);
          } else {
            if (lines.length >= MAX_CART_LINES) throw cartFull();
            await insertCartLine(tx, line);
          }
          return {
            kind: 'written' as const,
            created: !existing,
            lines: await findCartLines(tx, userId),
          };
        });
        if (outcome.kind === 'retry') {
          for (const id of outcome.ids) asked.add(id);
          for (const [id, p] of await catalog.getProducts(outcome.ids, requestId)) {
            products.set(id, p);
          }
          continue;
        }
        return { cart: priceCart(outcome.lines, products), created: outcome.created };
      }
    },

    async remove(userId, productId) {
      if (!(await deleteCartLine(db, userId, productId))) throw notInCart(productId);
    },

    async empty(userId) {
      await deleteCartLines(db, userId);
    },

    listItems: (userId, tx = db) => findCartLines(tx, userId),

    clear: (userId, tx, only) => deleteCartLines(tx, userId, only),
  };
}
