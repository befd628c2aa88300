-- Delivery ids are unique only within a platform's scope (an in-app account, a Slack team, a Telegram bot, a
-- mailbox): the scope joins the dedupe key. Existing in-app rows take the account their message was stored under.
ALTER TABLE "inbound_deliveries" ADD COLUMN "scope" text DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE "inbound_deliveries" d SET "scope" = p."scope"
  FROM "message_platform_ids" p
  WHERE p."channel" = d."channel" AND p."external_id" = d."delivery_id" AND p."direction" = 'inbound' AND d."channel" = 'inapp';--> statement-breakpoint
ALTER TABLE "inbound_deliveries" DROP CONSTRAINT "inbound_deliveries_channel_delivery_id_pk";--> statement-breakpoint
ALTER TABLE "inbound_deliveries" ADD CONSTRAINT "inbound_deliveries_channel_scope_delivery_id_pk" PRIMARY KEY("channel","scope","delivery_id");--> statement-breakpoint
-- Read-back positions, given in commit order (see src/db/readback.ts). Rows already written are final: they keep
-- their seq as position, so cursors clients hold stay valid, and new positions continue above them.
CREATE SEQUENCE "public"."messages_pos_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "readback_horizons" (
	"conversation_key" text PRIMARY KEY NOT NULL,
	"xid" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "xid" bigint DEFAULT (pg_current_xact_id()::text)::bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "pos" bigint;--> statement-breakpoint
UPDATE "messages" SET "pos" = "seq";--> statement-breakpoint
SELECT setval('messages_pos_seq', GREATEST((SELECT max("seq") FROM "messages"), 0) + 1, false);--> statement-breakpoint
DROP INDEX "messages_conv_idx";--> statement-breakpoint
CREATE INDEX "messages_conv_xid_idx" ON "messages" USING btree ("conversation_key","xid");--> statement-breakpoint
CREATE INDEX "messages_conv_pos_idx" ON "messages" USING btree ("conversation_key","pos") WHERE pos IS NOT NULL;
