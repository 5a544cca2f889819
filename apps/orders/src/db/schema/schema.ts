// Every orders table lives in the `orders` Postgres schema: this service owns it alone.
import { pgSchema } from 'drizzle-orm/pg-core';

export const ordersSchema = pgSchema('orders');
