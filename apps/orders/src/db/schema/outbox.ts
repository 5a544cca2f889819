// The orders outbox: one event per status change, written in the transaction that made the
// change, published to the order-events queue by the relay. See docs/outbox.md.
import { outboxTable } from '@meridian/outbox';
import { ordersSchema } from './schema.ts';

export const outbox = outboxTable(ordersSchema);
