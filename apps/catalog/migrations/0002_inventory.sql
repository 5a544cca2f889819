CREATE TABLE "catalog"."inventory" (
	"product_id" uuid PRIMARY KEY NOT NULL,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inventory_on_hand_check" CHECK ("catalog"."inventory"."on_hand" >= 0),
	CONSTRAINT "inventory_reserved_check" CHECK ("catalog"."inventory"."reserved" >= 0),
	CONSTRAINT "inventory_reserved_on_hand_check" CHECK ("catalog"."inventory"."reserved" <= "catalog"."inventory"."on_hand")
);
--> statement-breakpoint
CREATE TABLE "catalog"."reservation_lines" (
	"reservation_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	CONSTRAINT "reservation_lines_reservation_id_product_id_pk" PRIMARY KEY("reservation_id","product_id"),
	CONSTRAINT "reservation_lines_quantity_check" CHECK ("catalog"."reservation_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "catalog"."reservations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reservation_key" text NOT NULL,
	"client_id" text NOT NULL,
	"status" text DEFAULT 'held' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_reservation_key_unique" UNIQUE("reservation_key"),
	CONSTRAINT "reservations_status_check" CHECK ("catalog"."reservations"."status" IN ('held', 'confirmed', 'released', 'expired'))
);
--> statement-breakpoint
ALTER TABLE "catalog"."inventory" ADD CONSTRAINT "inventory_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "catalog"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."reservation_lines" ADD CONSTRAINT "reservation_lines_reservation_id_reservations_id_fk" FOREIGN KEY ("reservation_id") REFERENCES "catalog"."reservations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."reservation_lines" ADD CONSTRAINT "reservation_lines_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "catalog"."products"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reservation_lines_product_id_idx" ON "catalog"."reservation_lines" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "reservations_expiry_idx" ON "catalog"."reservations" USING btree ("expires_at") WHERE status = 'held';