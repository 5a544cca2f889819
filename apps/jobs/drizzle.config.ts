// drizzle-kit reads this to generate SQL migrations from src/db/schema (no database needed).
// Run `pnpm db:generate` after changing a table, review the SQL, and commit it.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
  schemaFilter: ['jobs'],
  casing: 'snake_case',
});
