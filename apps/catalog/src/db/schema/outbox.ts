// The catalog's transactional outbox: events (low stock, for now) written in the same
// transaction as the stock change, published to BullMQ by the relay. See docs/outbox.md.
import { outboxTable } from '@meridian/outbox';
import { catalogSchema } from './schema.ts';

export const outbox = outboxTable(catalogSchema);
