CREATE TABLE "board_sessions" (
	"id_sha256" text PRIMARY KEY NOT NULL,
	"token_sha256" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "board_sessions_expires_idx" ON "board_sessions" USING btree ("expires_at");