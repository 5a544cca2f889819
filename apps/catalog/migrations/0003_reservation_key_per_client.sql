-- Idempotency keys are scoped to the client that made them: one client can neither squat
-- another's key nor learn that it exists (a shared key used to answer 422 to the second).
ALTER TABLE "catalog"."reservations" DROP CONSTRAINT "reservations_reservation_key_unique";--> statement-breakpoint
ALTER TABLE "catalog"."reservations" ADD CONSTRAINT "reservations_client_key_unique" UNIQUE("client_id","reservation_key");