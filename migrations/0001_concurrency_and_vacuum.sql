-- Raised by a change set whose guarded case changed since it was read; 40001 (serialization failure) tells the
-- caller to read again and retry, like any other lost race.
CREATE OR REPLACE FUNCTION sb_conflict() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the case changed concurrently' USING ERRCODE = '40001';
END
$$;
--> statement-breakpoint
-- Timer and queue tables churn: every claim rewrites a row. Stale statistics made due-timer claims ~9x slower and
-- dead tuples kept polls at 1–25 ms until VACUUM (PLATFORMS.md), so vacuum and analyze them early.
ALTER TABLE "sla_clocks" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
--> statement-breakpoint
ALTER TABLE "outbox" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
