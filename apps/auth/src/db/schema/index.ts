// The auth schema's tables, for drizzle-kit and the typed client.
export { type AuditRow, auditLog } from './audit.ts';
export { type ServiceClientRow, serviceClients } from './clients.ts';
export { permissions, type RoleRow, rolePermissions, roles, userRoles } from './roles.ts';
export { authSchema } from './schema.ts';
export { type RefreshFamilyRow, refreshTokenFamilies, refreshTokens } from './tokens.ts';
export { type UserRow, users } from './users.ts';
