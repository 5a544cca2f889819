-- orders:manage now also guards the shipping methods orders offer (PUT /v1/shipping-methods).
UPDATE "auth"."permissions"
SET "description" = 'Change any order, and the shipping methods orders offer'
WHERE "name" = 'orders:manage';
