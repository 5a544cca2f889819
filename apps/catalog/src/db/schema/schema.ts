// Every catalog table lives in the `catalog` Postgres schema: this service owns it alone.
import { pgSchema } from 'drizzle-orm/pg-core';

export const catalogSchema = pgSchema('catalog');
