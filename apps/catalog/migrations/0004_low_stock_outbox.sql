-- The catalog outbox (events written in the same transaction as the change they describe,
-- published to BullMQ by the relay: docs/outbox.md), and a low-stock threshold per product.
CREATE TABLE "catalog"."outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"queue" text NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "outbox_attempts_check" CHECK ("catalog"."outbox"."attempts" >= 0)
);
--> statement-breakpoint
ALTER TABLE "catalog"."inventory" ADD COLUMN "low_stock_threshold" integer DEFAULT 5 NOT NULL;--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "catalog"."outbox" USING btree ("available_at") WHERE published_at IS NULL;--> statement-breakpoint
CREATE INDEX "outbox_published_idx" ON "catalog"."outbox" USING btree ("published_at") WHERE published_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog"."inventory" ADD CONSTRAINT "inventory_low_stock_threshold_check" CHECK ("catalog"."inventory"."low_stock_threshold" >= 0);