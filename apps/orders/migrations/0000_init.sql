-- IF NOT EXISTS: the migrator creates this schema first, to hold its journal.
CREATE SCHEMA IF NOT EXISTS "orders";
--> statement-breakpoint
CREATE TABLE "orders"."shipping_methods" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"min_days" integer NOT NULL,
	"max_days" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shipping_methods_code_unique" UNIQUE("code"),
	CONSTRAINT "shipping_methods_price_check" CHECK ("orders"."shipping_methods"."price_minor" >= 0),
	CONSTRAINT "shipping_methods_days_check" CHECK ("orders"."shipping_methods"."min_days" >= 0 AND "orders"."shipping_methods"."max_days" >= "orders"."shipping_methods"."min_days")
);
