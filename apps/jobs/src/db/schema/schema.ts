// Every jobs table lives in the `jobs` Postgres schema: this service owns it alone.
import { pgSchema } from 'drizzle-orm/pg-core';

export const jobsSchema = pgSchema('jobs');
