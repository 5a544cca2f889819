// Stored responses of unsafe POSTs by Idempotency-Key (checkout, payment retries). See
// docs/idempotency.md.
import { idempotencyTable } from '@meridian/idempotency';
import { ordersSchema } from './schema.ts';

export const idempotencyKeys = idempotencyTable(ordersSchema);
