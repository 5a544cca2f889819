// Role use cases, free of HTTP.
import type { AuthDb } from '../../db/client.ts';
import { findAllRoles } from './roles.repository.ts';
import type { Role } from './roles.schemas.ts';

export function roleService(db: AuthDb) {
  return {
    async list(): Promise<Role[]> {
      return findAllRoles(db);
    },
  };
}

export type RoleService = ReturnType<typeof roleService>;
