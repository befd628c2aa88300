-- One counter moved by every change to what intake reads besides the case itself (managers, clients, contacts and
-- identities, calendars, policies, settings). An instance that kept a conversation's intake context in memory
-- commits only if the counter has not moved, so a cached context is never acted on after such a change.
CREATE TABLE "config_version" ("id" integer PRIMARY KEY DEFAULT 1 CHECK ("id" = 1), "v" bigint NOT NULL);
--> statement-breakpoint
INSERT INTO "config_version" ("id", "v") VALUES (1, 0);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sb_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "config_version" SET "v" = "v" + 1 WHERE "id" = 1;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "managers_config_version" AFTER INSERT OR UPDATE OR DELETE ON "managers" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
--> statement-breakpoint
CREATE TRIGGER "clients_config_version" AFTER INSERT OR UPDATE OR DELETE ON "clients" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
--> statement-breakpoint
CREATE TRIGGER "contacts_config_version" AFTER INSERT OR UPDATE OR DELETE ON "contacts" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
--> statement-breakpoint
CREATE TRIGGER "identities_config_version" AFTER INSERT OR UPDATE OR DELETE ON "identities" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
--> statement-breakpoint
CREATE TRIGGER "calendars_config_version" AFTER INSERT OR UPDATE OR DELETE ON "calendars" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
--> statement-breakpoint
CREATE TRIGGER "policies_config_version" AFTER INSERT OR UPDATE OR DELETE ON "policies" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
--> statement-breakpoint
CREATE TRIGGER "settings_config_version" AFTER INSERT OR UPDATE OR DELETE ON "settings" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
