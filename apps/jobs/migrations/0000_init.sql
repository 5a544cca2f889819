-- IF NOT EXISTS: the migrator creates this schema first, to hold its journal.
CREATE SCHEMA IF NOT EXISTS "jobs";
--> statement-breakpoint
CREATE TABLE "jobs"."job_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"queue" text NOT NULL,
	"job_id" text NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"result" jsonb,
	"attempts" integer NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_runs_jobId_unique" UNIQUE("job_id")
);
