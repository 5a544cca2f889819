CREATE TYPE "orders"."order_status" AS ENUM('pending', 'awaiting_payment', 'paid', 'payment_failed', 'cancelled', 'refunded');--> statement-breakpoint
CREATE TYPE "orders"."payment_status" AS ENUM('pending', 'succeeded', 'failed', 'canceled', 'refunded');--> statement-breakpoint
CREATE TABLE "orders"."cart_items" (
	"user_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cart_items_user_id_product_id_pk" PRIMARY KEY("user_id","product_id"),
	CONSTRAINT "cart_items_quantity_check" CHECK ("orders"."cart_items"."quantity" BETWEEN 1 AND 1000)
);
--> statement-breakpoint
CREATE TABLE "orders"."idempotency_keys" (
	"owner" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"state" text NOT NULL,
	"lock_id" uuid,
	"locked_until" timestamp with time zone,
	"response_status" integer,
	"response_headers" jsonb,
	"response_body" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("owner","key"),
	CONSTRAINT "idempotency_keys_state_check" CHECK ("orders"."idempotency_keys"."state" IN ('in_flight', 'completed')),
	CONSTRAINT "idempotency_keys_key_check" CHECK (char_length("orders"."idempotency_keys"."key") BETWEEN 1 AND 255),
	CONSTRAINT "idempotency_keys_fingerprint_check" CHECK ("orders"."idempotency_keys"."fingerprint" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "idempotency_keys_response_status_check" CHECK ("orders"."idempotency_keys"."response_status" IS NULL OR "orders"."idempotency_keys"."response_status" BETWEEN 100 AND 599),
	CONSTRAINT "idempotency_keys_in_flight_check" CHECK ("orders"."idempotency_keys"."state" <> 'in_flight' OR ("orders"."idempotency_keys"."lock_id" IS NOT NULL AND "orders"."idempotency_keys"."locked_until" IS NOT NULL)),
	CONSTRAINT "idempotency_keys_completed_check" CHECK ("orders"."idempotency_keys"."state" <> 'completed' OR ("orders"."idempotency_keys"."response_status" IS NOT NULL AND "orders"."idempotency_keys"."response_headers" IS NOT NULL AND "orders"."idempotency_keys"."response_body" IS NOT NULL)),
	CONSTRAINT "idempotency_keys_expires_check" CHECK ("orders"."idempotency_keys"."expires_at" > "orders"."idempotency_keys"."created_at")
);
--> statement-breakpoint
CREATE TABLE "orders"."order_lines" (
	"order_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"sku" text NOT NULL,
	"name" text NOT NULL,
	"unit_price_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"quantity" integer NOT NULL,
	"line_total_minor" integer NOT NULL,
	CONSTRAINT "order_lines_order_id_product_id_pk" PRIMARY KEY("order_id","product_id"),
	CONSTRAINT "order_lines_amounts_check" CHECK ("orders"."order_lines"."unit_price_minor" >= 0 AND "orders"."order_lines"."quantity" BETWEEN 1 AND 1000 AND "orders"."order_lines"."line_total_minor" = "orders"."order_lines"."unit_price_minor" * "orders"."order_lines"."quantity")
);
--> statement-breakpoint
CREATE TABLE "orders"."order_status_transitions" (
	"from_status" "orders"."order_status" NOT NULL,
	"to_status" "orders"."order_status" NOT NULL,
	CONSTRAINT "order_status_transitions_from_status_to_status_pk" PRIMARY KEY("from_status","to_status")
);
--> statement-breakpoint
CREATE TABLE "orders"."orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"status" "orders"."order_status" DEFAULT 'pending' NOT NULL,
	"currency" char(3) NOT NULL,
	"items_total_minor" integer NOT NULL,
	"shipping_method" text NOT NULL,
	"shipping_minor" integer NOT NULL,
	"total_minor" integer NOT NULL,
	"reservation_id" uuid,
	"idempotency_key" text,
	"compensation_due_at" timestamp with time zone,
	"status_reason" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_totals_check" CHECK ("orders"."orders"."items_total_minor" >= 0 AND "orders"."orders"."shipping_minor" >= 0 AND "orders"."orders"."total_minor" = "orders"."orders"."items_total_minor" + "orders"."orders"."shipping_minor"),
	CONSTRAINT "orders_currency_check" CHECK ("orders"."orders"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "orders"."outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"queue" text NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "outbox_attempts_check" CHECK ("orders"."outbox"."attempts" >= 0)
);
--> statement-breakpoint
CREATE TABLE "orders"."payment_events" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"type" text NOT NULL,
	"provider_payment_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "orders"."payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"provider_payment_id" text NOT NULL,
	"status" "orders"."payment_status" NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"failure_code" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_providerPaymentId_unique" UNIQUE("provider_payment_id"),
	CONSTRAINT "payments_amount_check" CHECK ("orders"."payments"."amount_minor" > 0)
);
--> statement-breakpoint
ALTER TABLE "orders"."order_lines" ADD CONSTRAINT "order_lines_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."payments" ADD CONSTRAINT "payments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "orders"."idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "orders_user_created_idx" ON "orders"."orders" USING btree ("user_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "orders_user_idempotency_key_idx" ON "orders"."orders" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "orders_compensation_due_idx" ON "orders"."orders" USING btree ("compensation_due_at") WHERE compensation_due_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "orders"."orders" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "orders"."outbox" USING btree ("available_at") WHERE published_at IS NULL;--> statement-breakpoint
CREATE INDEX "outbox_published_idx" ON "orders"."outbox" USING btree ("published_at") WHERE published_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "payment_events_pending_idx" ON "orders"."payment_events" USING btree ("available_at") WHERE processed_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "payments_order_idx" ON "orders"."payments" USING btree ("order_id");--> statement-breakpoint
-- Hand-written below: the order state machine in the database. These pairs are
-- ORDER_TRANSITIONS in src/modules/orders/order-status.ts (order-status.test.ts compares them);
-- the trigger refuses any other change of status, and any new order not starting as pending.
INSERT INTO "orders"."order_status_transitions" ("from_status", "to_status") VALUES
	('pending', 'awaiting_payment'),
	('pending', 'cancelled'),
	('awaiting_payment', 'paid'),
	('awaiting_payment', 'payment_failed'),
	('awaiting_payment', 'cancelled'),
	('paid', 'refunded');
--> statement-breakpoint
CREATE FUNCTION "orders"."enforce_order_status"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.status <> 'pending' THEN
			RAISE EXCEPTION 'a new order starts as pending, not %', NEW.status
				USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_status_transition';
		END IF;
	ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
		SELECT 1 FROM "orders"."order_status_transitions" t
		WHERE t.from_status = OLD.status AND t.to_status = NEW.status
	) THEN
		RAISE EXCEPTION 'illegal order status change: % -> %', OLD.status, NEW.status
			USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_status_transition';
	END IF;
	RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "orders_status_transition" BEFORE INSERT OR UPDATE OF "status" ON "orders"."orders"
	FOR EACH ROW EXECUTE FUNCTION "orders"."enforce_order_status"();
