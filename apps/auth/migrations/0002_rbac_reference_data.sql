-- Reference data every environment needs (tests included): the built-in roles and the
-- permissions they grant. Idempotent, so re-running is harmless; later changes to these
-- go in new migrations. Demo users and service clients are seed data (src/db/seed.ts).
INSERT INTO "auth"."permissions" ("name", "description") VALUES
  ('catalog:write', 'Create and change products, categories and stock'),
  ('inventory:reserve', 'Reserve, confirm and release stock (service scope)'),
  ('orders:read:any', 'Read any customer''s orders'),
  ('orders:manage', 'Change the state of any order'),
  ('users:manage', 'List users and grant or revoke their roles'),
  ('audit:read', 'Read the security audit log'),
  ('jobs:admin', 'Enqueue jobs and inspect queues')
ON CONFLICT ("name") DO UPDATE SET "description" = EXCLUDED."description";
--> statement-breakpoint
INSERT INTO "auth"."roles" ("name", "description") VALUES
  ('customer', 'Browses the catalog, places and tracks own orders'),
  ('staff', 'Manages products, inventory and orders'),
  ('admin', 'Everything, including users and roles')
ON CONFLICT ("name") DO UPDATE SET "description" = EXCLUDED."description";
--> statement-breakpoint
INSERT INTO "auth"."role_permissions" ("role_id", "permission")
SELECT r."id", p."permission"
FROM (VALUES
  ('staff', 'catalog:write'), ('staff', 'orders:read:any'), ('staff', 'orders:manage'),
  ('admin', 'catalog:write'), ('admin', 'orders:read:any'), ('admin', 'orders:manage'),
  ('admin', 'users:manage'), ('admin', 'audit:read'), ('admin', 'jobs:admin')
) AS p("role", "permission")
JOIN "auth"."roles" r ON r."name" = p."role"
ON CONFLICT DO NOTHING;
