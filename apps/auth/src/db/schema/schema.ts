// Every auth table lives in the `auth` Postgres schema: this service owns it alone.
import { pgSchema } from 'drizzle-orm/pg-core';

export const authSchema = pgSchema('auth');
