// What the admin API answers, for the OpenAPI document. Documentation only: handlers keep shaping their own replies
// and the serializer doesn't filter by these (test/integration/openapi.test.ts checks real replies against them).
// Objects are loose: "more fields are welcome" (SPEC §7), so a new column is not a breaking change.
import { z } from 'zod';
import { CHANNELS, URGENCIES, WEEKDAYS } from '../../core/model';

const uuid = () => z.string().meta({ format: 'uuid' });
const time = () => z.string().meta({ format: 'date-time' });
const nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const ErrorBody = z.object({ error: z.string().meta({ description: 'what is wrong; a 400 names the field', examples: ['name: Too small: expected string to have >=1 characters'] }) }).meta({ id: 'Error' });

const hhmm = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/);
const intervals = z.array(z.tuple([hhmm, hhmm])).max(24).meta({ description: '["HH:MM", "HH:MM"] pairs; an end not after its start crosses midnight' });
export const CalendarDoc = z
  .looseObject({
    zone: z.string().meta({ description: 'IANA time zone', examples: ['Europe/Moscow'] }),
    week: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, intervals.optional()]))),
    holidays: z.array(z.iso.date()).optional(),
    exceptions: z.record(z.iso.date(), intervals).optional().meta({ description: 'dated days whose intervals replace the week’s' }),
  })
  .meta({ id: 'CalendarSpec', description: 'A business calendar (README: calendar and policy bounds)' });

const target = z.object({ minutes: z.int().min(1).max(43_200), hours: z.enum(['business', '24x7']) });
export const PolicyDoc = z
  .looseObject({
    targets: z.partialRecord(z.enum(URGENCIES), target).optional(),
    warnAt: z.array(z.number().gt(0).lt(1)).max(10).optional(),
    plainReplyCounts: z.boolean().optional(),
    reopenDays: z.int().min(0).max(365).optional(),
  })
  .meta({ id: 'PolicySpec', description: 'An SLA policy; targets left out keep the defaults' });

/**
 * For request fields a handler validates itself (`z.unknown()` in the body schema, checked by validateCalendar and
 * the like): the document shows their shape without the body schema — and its error messages — changing. A shape
 * with an id is referenced as the component fastify-type-provider-zod emits for inputs (`<id>Input`).
 */
export function documentedAs(shape: z.ZodType, description: string, opts: { nullable?: boolean } = {}) {
  const id = z.globalRegistry.get(shape)?.id;
  const json = id ? { $ref: `#/components/schemas/${id}Input` } : (({ $schema: _s, ...rest }) => rest)(z.toJSONSchema(shape, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>);
  return opts.nullable ? { description: `${description}; null means the defaults`, anyOf: [json, { type: 'null' }] } : { description, ...json };
}

export const Manager = z
  .looseObject({
    id: uuid(), name: z.string(), email: nullable(z.string()), slackUserId: nullable(z.string()), timeZone: z.string(),
    status: z.enum(['active', 'away']), isDefault: z.boolean(), onCall: z.boolean(), createdAt: time(),
  })
  .meta({ id: 'Manager' });

export const Client = z
  .looseObject({
    id: uuid(), name: z.string(), tier: z.enum(['premium', 'standard']), managerId: nullable(uuid()), backupManagerId: nullable(uuid()),
    calendarId: nullable(uuid()), policyId: nullable(uuid()), calendar: nullable(CalendarDoc), policy: nullable(PolicyDoc),
    inappAccountId: nullable(z.string()), slackChannelId: nullable(z.string()), slackConnectChannelIds: z.array(z.string()), createdAt: time(),
  })
  .meta({ id: 'Client' });

export const Contact = z
  .looseObject({
    id: uuid(), clientId: uuid(), name: z.string(), email: nullable(z.string()), timeZone: nullable(z.string()), createdAt: time(),
    identities: z.array(z.object({ channel: z.enum(CHANNELS), externalId: z.string(), account: z.string() })),
  })
  .meta({ id: 'Contact' });

export const StoredCalendar = z.looseObject({ id: uuid(), name: z.string(), spec: CalendarDoc, createdAt: time() }).meta({ id: 'StoredCalendar' });
export const StoredPolicy = z.looseObject({ id: uuid(), name: z.string(), spec: PolicyDoc, createdAt: time() }).meta({ id: 'StoredPolicy' });
export const DefaultSpec = (spec: z.ZodType) => z.object({ id: z.null(), name: z.literal('default'), spec });

export const Case = z
  .looseObject({
    id: uuid(), number: z.int(), clientId: uuid(), contactId: nullable(uuid()), kind: z.string(), status: z.enum(['open', 'waiting_on_client', 'resolved']),
    urgency: z.enum(URGENCIES), urgencySource: z.string(), managerId: nullable(uuid()), coveringForManagerId: nullable(uuid()), channel: z.string(),
    subject: z.string(), openedAt: time(), resolvedAt: nullable(time()), eta: nullable(time()), tier: nullable(z.string()),
    sla: z.object({ state: z.enum(['running', 'met', 'breached', 'paused', 'none']), dueAt: nullable(time()), startedAt: nullable(time()) }),
  })
  .meta({ id: 'Case' });

export const CaseDetail = Case.extend({
  etas: z.array(z.looseObject({ revision: z.int(), dueAt: time(), postedAt: time(), managerId: nullable(uuid()), note: z.string(), state: z.string() })),
  timeline: z.array(z.looseObject({ at: time(), type: z.string() }).meta({ description: 'case events, client messages and clock events (each with its reason) in time order' })),
  messages: z.array(z.looseObject({ id: uuid(), seq: z.int(), direction: z.enum(['inbound', 'outbound', 'note']), text: z.string(), createdAt: time() })),
}).meta({ id: 'CaseDetail' });

export const CommandResult = z.object({ ok: z.literal(true), result: z.unknown() }).meta({ id: 'CommandResult' });

const complianceRow = z.looseObject({
  key: z.string(), name: z.string(), total: z.int(), met: z.int(), breached: z.int(), running: z.int(),
  compliance: nullable(z.number().min(0).max(1)).meta({ description: 'met / (met + breached); null when nothing is decided' }),
});
export const ComplianceReport = z
  .looseObject({ from: time(), to: time(), totals: complianceRow, byClient: z.array(complianceRow), byManager: z.array(complianceRow), byUrgency: z.array(complianceRow) })
  .meta({ id: 'ComplianceReport' });

export const LinkList = z.object({ links: z.array(z.object({ channel: z.enum(CHANNELS), key: z.string(), createdAt: time() })) }).meta({ id: 'LinkList' });
export const LinkCode = z
  .looseObject({ code: z.string(), clientId: uuid(), expiresAt: time(), command: z.string(), links: z.record(z.string(), z.string()) })
  .meta({ id: 'LinkCode' });

export const FeatureRequest = z
  .looseObject({ id: uuid(), clientId: uuid(), clientName: z.string(), tier: z.string(), text: z.string(), status: z.string(), createdAt: time(), caseNumber: z.int() })
  .meta({ id: 'FeatureRequest' });

export const TriageRules = z.partialRecord(z.enum(URGENCIES), z.array(z.string().max(80)).max(200)).meta({ id: 'TriageRules' });
export const Triage = z.object({ rules: TriageRules, default: z.boolean() }).meta({ id: 'Triage' });

/** A reply whose fields the operation's description names (command outcomes, status moves). */
export const Outcome = z.looseObject({}).meta({ id: 'Outcome' });

export const ReadBack = z
  .object({
    messages: z.array(z.looseObject({ seq: z.int(), direction: z.string(), text: z.string(), createdAt: time() })),
    next: z.int().meta({ description: 'pass as `after` to read on' }),
  })
  .meta({ id: 'ReadBack' });
