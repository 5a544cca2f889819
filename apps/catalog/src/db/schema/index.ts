// The catalog schema's tables, for drizzle-kit and the typed client.
export { type CategoryRow, categories, type NewCategoryRow } from './categories.ts';
export { catalogSchema } from './schema.ts';
