ALTER TABLE "outbox" ADD COLUMN "lease_token" uuid;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "steps_done" jsonb DEFAULT '[]'::jsonb NOT NULL;