-- A contact or identity being added no longer moves the configuration counter: intake adds one whenever somebody new
-- writes, and each move made every instance drop every remembered intake context (and fail every write in flight
-- that was decided on one). A new row can't change a remembered context: a context names its sender's own identity,
-- which outranks a colleague's in client resolution, and a context read before its sender had an identity is dropped
-- by the write that adds it (a second writer of the same identity fails on its unique key). Changes and deletions of
-- contacts and identities (an admin moving a contact to another client) still move the counter.
DROP TRIGGER "contacts_config_version" ON "contacts";
--> statement-breakpoint
CREATE TRIGGER "contacts_config_version" AFTER UPDATE OR DELETE ON "contacts" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
--> statement-breakpoint
DROP TRIGGER "identities_config_version" ON "identities";
--> statement-breakpoint
CREATE TRIGGER "identities_config_version" AFTER UPDATE OR DELETE ON "identities" FOR EACH STATEMENT EXECUTE FUNCTION sb_bump_config_version();
