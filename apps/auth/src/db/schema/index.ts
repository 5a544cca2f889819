// The auth schema's tables, for drizzle-kit and the typed client.
export { type RoleRow, roles } from './roles.ts';
export { authSchema } from './schema.ts';
