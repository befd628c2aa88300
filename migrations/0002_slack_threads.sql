ALTER TABLE "cases" ADD COLUMN "slack_channel_id" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "slack_thread_ts" text;--> statement-breakpoint
CREATE INDEX "cases_slack_thread_idx" ON "cases" USING btree ("slack_channel_id","slack_thread_ts");