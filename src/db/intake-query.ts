// Everything intake decides on, in one statement: the dedupe insert, the echo check, identity → contact → client,
// the client's calendar / policy / triage rules, the managers routing may need, the conversation's latest case
// (row-locked) with its running clocks and latest ETA, and a case number in case one is opened. Ingest is bound by
// round trips; this and the single write statement keep it at four (BEGIN, read, write, COMMIT).
import { sql, type SQL } from 'drizzle-orm';
import type { InboundEnvelope } from '../core/ports';

export function intakeQuery(env: InboundEnvelope, now: Date): SQL {
  const ids = env.platformMessageIds;
  const seen = ids.length
    ? sql`(SELECT json_agg(direction) FROM message_platform_ids WHERE channel = ${env.channel} AND (scope, external_id) IN (${sql.join(ids.map((p) => sql`(${p.scope}, ${p.externalId})`), sql`, `)}))`
    : sql`NULL::json`;
  // The in-app channel names its account as a client's inappAccountId; elsewhere a colleague's identity from the same
  // workspace / tenant points at the client.
  const byAccount =
    env.channel === 'inapp'
      ? sql`SELECT * FROM clients WHERE inapp_account_id = ${env.account}`
      : sql`SELECT cl.* FROM identities i JOIN contacts c ON c.id = i.contact_id JOIN clients cl ON cl.id = c.client_id
            WHERE i.channel = ${env.channel} AND i.account = ${env.account} AND ${env.account} <> ''`;
  return sql`
WITH d AS (
  INSERT INTO inbound_deliveries (channel, delivery_id, received_at) VALUES (${env.channel}, ${env.deliveryId}, ${now.toISOString()})
  ON CONFLICT DO NOTHING RETURNING 1
),
ident AS (
  SELECT c.* FROM identities i JOIN contacts c ON c.id = i.contact_id
  WHERE i.channel = ${env.channel} AND i.account = ${env.account} AND i.external_id = ${env.sender.externalId} LIMIT 1
),
cl AS (
  (SELECT * FROM clients WHERE id = (SELECT client_id FROM ident))
  UNION ALL
  (${byAccount} AND NOT EXISTS (SELECT 1 FROM ident) LIMIT 1)
  LIMIT 1
),
kase AS (
  SELECT * FROM cases WHERE client_id = (SELECT id FROM cl) AND conversation_key = ${env.conversationKey} AND kind = 'support'
  ORDER BY opened_at DESC LIMIT 1 FOR UPDATE
)
SELECT json_build_object(
  'inserted', EXISTS (SELECT 1 FROM d),
  'seen', ${seen},
  'contact', (SELECT row_to_json(ident) FROM ident),
  'client', (SELECT row_to_json(cl) FROM cl),
  'calendar', (SELECT spec FROM calendars WHERE id = (SELECT calendar_id FROM cl)),
  'policy', (SELECT spec FROM policies WHERE id = (SELECT policy_id FROM cl)),
  'triage', (SELECT value FROM settings WHERE key = 'triage'),
  'managers', (SELECT json_agg(m) FROM managers m
               WHERE m.id IN (SELECT manager_id FROM cl UNION SELECT backup_manager_id FROM cl UNION SELECT manager_id FROM kase)
                  OR m.is_default OR m.on_call),
  'case', (SELECT row_to_json(kase) FROM kase),
  'clocks', (SELECT json_agg(k) FROM sla_clocks k WHERE k.case_id = (SELECT id FROM kase) AND k.state = 'running' AND k.kind IN ('response', 'eta')),
  'eta', (SELECT row_to_json(e) FROM etas e WHERE e.case_id = (SELECT id FROM kase) ORDER BY e.revision DESC LIMIT 1),
  'number', CASE WHEN EXISTS (SELECT 1 FROM kase WHERE status <> 'resolved') THEN NULL ELSE nextval('case_number_seq') END
) AS ctx`;
}

const DATE_KEY = /_at$/;

/** A row_to_json object (snake_case, timestamps as text) → the camelCase row with Dates that drizzle would return. */
export function fromJsonRow<T>(row: Record<string, unknown> | null | undefined): T | null {
  if (!row) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const key = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = DATE_KEY.test(k) && typeof v === 'string' ? new Date(v) : v;
  }
  return out as T;
}
