// Everything intake decides on, in one statement: the dedupe check, the echo check, identity → contact → client,
// the client's calendar / policy / triage rules, the managers routing may need, the conversation's latest case with
// its running clocks and latest ETA, the configuration counter, and a case number in case one is opened. Ingest is
// bound by round trips: this read and one guarded write are all a plain message costs.
import type { InboundEnvelope } from '../core/ports';

// Which client: the in-app channel names its account as a client's inappAccountId (after the sender's own identity).
// Elsewhere a link of the chat / tenant / domain (client_links, most specific key first) decides — a chat linked to a
// client by a code wins over where its members were onboarded before — then the sender's identity, then a colleague's
// identity on the same account.
const CLIENT = {
  inapp: `(SELECT * FROM clients WHERE id = (SELECT client_id FROM ident))
  UNION ALL
  (SELECT * FROM clients WHERE inapp_account_id = $4 AND NOT EXISTS (SELECT 1 FROM ident) LIMIT 1)`,
  other: `(SELECT c.* FROM json_array_elements_text($9::json) WITH ORDINALITY k(key, n)
     JOIN client_links l ON l.channel = $1 AND l.key = k.key JOIN clients c ON c.id = l.client_id ORDER BY k.n LIMIT 1)
  UNION ALL
  (SELECT * FROM clients WHERE id = (SELECT client_id FROM ident))
  UNION ALL
  (SELECT cl.* FROM identities i JOIN contacts c ON c.id = i.contact_id JOIN clients cl ON cl.id = c.client_id
   WHERE i.channel = $1 AND i.account = $4 AND $4 <> '' LIMIT 1)`,
};

// Two forms: inside a transaction the delivery is recorded and the case row-locked as it is read; the optimistic
// form only reads (the write that follows records the delivery and checks the case's version).
const RECORD = `INSERT INTO inbound_deliveries (channel, scope, delivery_id, received_at) VALUES ($1, $8, $2, $3::timestamptz)
  ON CONFLICT DO NOTHING RETURNING 1`;
const CHECK = `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM inbound_deliveries WHERE channel = $1 AND scope = $8 AND delivery_id = $2) AND $3::timestamptz IS NOT NULL`;

const text = (client: string, record: boolean) => `
WITH d AS (${record ? RECORD : CHECK}),
ident AS (
  SELECT c.* FROM identities i JOIN contacts c ON c.id = i.contact_id
  WHERE i.channel = $1 AND i.account = $4 AND i.external_id = $5 LIMIT 1
),
cl AS (
  ${client}
  LIMIT 1
),
kase AS (
  SELECT * FROM cases WHERE client_id = (SELECT id FROM cl) AND conversation_key = $6 AND kind = 'support'
  ORDER BY opened_at DESC LIMIT 1${record ? ' FOR UPDATE' : ''}
)
SELECT json_build_object(
  'inserted', EXISTS (SELECT 1 FROM d),
  -- A correlated scalar lookup per id stays an index probe however large the table grows; a join here was planned
  -- as a scan of every id on the channel while statistics were young.
  'seen', (SELECT json_agg(dir) FROM (
             SELECT (SELECT direction FROM message_platform_ids
                     WHERE channel = $1 AND scope = x->>'scope' AND external_id = x->>'externalId') AS dir
             FROM json_array_elements($7::json) x) ids WHERE dir IS NOT NULL),
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
  'config', (SELECT v FROM config_version WHERE id = 1),
  'number', CASE WHEN EXISTS (SELECT 1 FROM kase WHERE status <> 'resolved') THEN NULL ELSE nextval('case_number_seq') END
) AS ctx`;

const TEXTS = {
  record: { inapp: text(CLIENT.inapp, true), other: text(CLIENT.other, true) },
  read: { inapp: text(CLIENT.inapp, false), other: text(CLIENT.other, false) },
};

export function intakeQuery(env: InboundEnvelope, now: Date, mode: 'record' | 'read'): { text: string; params: string[] } {
  const inapp = env.channel === 'inapp';
  const params = [
    env.channel, env.deliveryId, now.toISOString(), env.account, env.sender.externalId, env.conversationKey, JSON.stringify(env.platformMessageIds),
    env.deliveryScope,
  ];
  // The in-app text has no link keys to look up (a parameter a statement doesn't use has no type PostgreSQL can infer).
  if (!inapp) params.push(JSON.stringify(env.linkKeys ?? []));
  return { text: TEXTS[mode][inapp ? 'inapp' : 'other'], params };
}

const camel = new Map<string, { key: string; date: boolean }>();
function keyOf(k: string) {
  let c = camel.get(k);
  if (!c) {
    c = { key: k.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase()), date: /_at$/.test(k) };
    camel.set(k, c);
  }
  return c;
}

/** A row_to_json object (snake_case, timestamps as text) → the camelCase row with Dates that drizzle would return. */
export function fromJsonRow<T>(row: Record<string, unknown> | null | undefined): T | null {
  if (!row) return null;
  const out: Record<string, unknown> = {};
  for (const k in row) {
    const { key, date } = keyOf(k);
    const v = row[k];
    out[key] = date && typeof v === 'string' ? new Date(v) : v;
  }
  return out as T;
}
