// The shape of each verified Slack request, checked before bolt sees it. bolt trusts shapes: an `event` that is a
// string, a `payload` that is not an object or a team id of "constructor" (a key of every object, where bolt keeps
// its clients per team) throws inside it and became a 500. Only what matches is dispatched; the rest is refused
// with a reason that names the field and never echoes the request.
import { z } from 'zod';
import { jsonProblem } from '../../http/input';

export class InvalidSlackRequest extends Error {}

export type SlackRequest =
  | { kind: 'challenge'; challenge: string }
  /** Answered 200 and not dispatched: a certificate check, or Slack telling us it is dropping events. */
  | { kind: 'notice'; what: 'ssl_check' | 'app_rate_limited' }
  | { kind: 'dispatch'; body: Record<string, unknown> };

const id = z.string().regex(/^[A-Z0-9]{1,40}$/, 'must be a Slack id (capital letters and digits)');
const ts = z.string().regex(/^\d{1,12}\.\d{1,9}$/, 'must be a Slack message ts');
const url = z.string().url();

// ---- Events API -------------------------------------------------------------------------------------------------

const envelopeType = z.looseObject({ type: z.enum(['event_callback', 'url_verification', 'app_rate_limited']) });
const challenge = z.looseObject({ challenge: z.string().min(1).max(1000) });
const eventCallback = z.looseObject({
  event_id: z.string().min(1).max(200),
  team_id: id.optional(),
  enterprise_id: id.nullish(),
  authorizations: z.array(z.looseObject({ team_id: id.nullish(), enterprise_id: id.nullish(), user_id: id.optional() })).optional(),
  is_ext_shared_channel: z.boolean().optional(),
  // bolt looks for the event's conversation in `channel` (a string or an object) and `item`.
  event: z.looseObject({
    type: z.string().min(1).max(100),
    channel: z.union([z.string(), z.looseObject({})]).optional(),
    item: z.looseObject({}).optional(),
  }),
});
/** A message as it appears inside message_changed / message_deleted events (the one changed, or as it was). */
const innerMessage = z.looseObject({
  ts: ts.optional(), thread_ts: ts.optional(), user: id.optional(), text: z.string().nullish(), subtype: z.string().optional(),
  bot_id: z.string().nullish(), team: id.optional(), user_team: id.optional(),
});
/** The events our listeners read, field by field. */
const EVENTS: Record<string, z.ZodType> = {
  message: z.looseObject({
    channel: id, ts, user: id.optional(), text: z.string().nullish(), thread_ts: ts.optional(), subtype: z.string().optional(), bot_id: z.string().nullish(),
    // Slack Connect: the author's organisation, and the profile Slack sends along for people of other organisations.
    team: id.optional(), user_team: id.optional(), source_team: id.optional(),
    user_profile: z.looseObject({ real_name: z.string().max(500).optional(), display_name: z.string().max(500).optional(), name: z.string().max(500).optional() }).optional(),
    files: z.array(z.looseObject({ id: z.string().min(1).max(100), name: z.string().max(1000).nullish(), title: z.string().max(1000).nullish(), permalink: z.string().max(2000).nullish() })).max(100).optional(),
    message: innerMessage.optional(), previous_message: innerMessage.optional(), deleted_ts: ts.optional(),
  }),
  app_home_opened: z.looseObject({ user: id }),
  member_joined_channel: z.looseObject({ user: id, channel: id }),
  channel_id_changed: z.looseObject({ old_channel_id: id, new_channel_id: id }),
};

function readEvent(body: unknown): SlackRequest {
  const { type } = check(envelopeType, body, 'body');
  if (type === 'url_verification') return { kind: 'challenge', challenge: check(challenge, body, 'body').challenge };
  if (type === 'app_rate_limited') return { kind: 'notice', what: 'app_rate_limited' };
  const env = check(eventCallback, body, 'body');
  const specific = EVENTS[env.event.type];
  if (specific) check(specific, env.event, 'event');
  return { kind: 'dispatch', body: env };
}

// ---- slash commands (a flat form; unknown fields are dropped, so a stray `event` or `actions` can't re-route it) --

const optional = z.string().max(1000).optional();
const command = z.object({
  command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/i, 'must be a slash command such as /eta'),
  text: z.string().max(4000).default(''),
  user_id: id, channel_id: id, team_id: id, response_url: url,
  enterprise_id: z.union([id, z.literal('')]).optional(), trigger_id: optional,
  token: optional, team_domain: optional, channel_name: optional, user_name: optional, api_app_id: optional, is_enterprise_install: optional, enterprise_name: optional,
});

// ---- interactions -----------------------------------------------------------------------------------------------

const interactionType = z.looseObject({ type: z.enum(['block_actions', 'view_submission', 'view_closed', 'message_action', 'shortcut']) });
const common = {
  user: z.looseObject({ id, team_id: id.optional() }),
  team: z.looseObject({ id, enterprise_id: id.nullish() }).nullish(),
  enterprise: z.looseObject({ id }).nullish(),
  // bolt routes by these before it looks at `type`: present, they would make an interaction an event or a command.
  event: z.never().optional(), command: z.never().optional(), name: z.never().optional(),
};
const view = {
  id: z.string().min(1), callback_id: z.string().max(255), private_metadata: z.string().max(3000).default(''), app_installed_team_id: id.nullish(),
};
const INTERACTIONS: Record<z.infer<typeof interactionType>['type'], z.ZodType> = {
  block_actions: z.looseObject({
    ...common, trigger_id: z.string().min(1), response_url: url.optional(), channel: z.looseObject({ id }).optional(),
    container: z.looseObject({ message_ts: ts.optional(), thread_ts: ts.optional(), channel_id: id.optional() }).optional(),
    actions: z.array(z.looseObject({
      action_id: z.string().min(1).max(255), block_id: z.string().optional(), type: z.string(), value: z.string().optional(),
      selected_option: z.looseObject({ value: z.string() }).nullish(), action_ts: z.string().max(40).optional(),
    })).min(1),
  }),
  view_submission: z.looseObject({
    ...common,
    view: z.looseObject({
      ...view,
      state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().nullish(), selected_option: z.looseObject({ value: z.string() }).nullish() }))) }),
    }),
    response_urls: z.array(z.looseObject({ response_url: url })).optional(),
  }),
  view_closed: z.looseObject({ ...common, view: z.looseObject(view) }),
  message_action: z.looseObject({
    ...common, callback_id: z.string().min(1).max(255), trigger_id: z.string().min(1), response_url: url,
    channel: z.looseObject({ id }), message: z.looseObject({ ts, thread_ts: ts.optional() }),
  }),
  shortcut: z.looseObject({ ...common, callback_id: z.string().min(1).max(255), trigger_id: z.string().min(1) }),
};

function readInteraction(form: Record<string, string>): SlackRequest {
  if (form.payload === undefined) throw new InvalidSlackRequest('payload: missing (interactions arrive as payload=<JSON>)');
  const payload = json(form.payload, 'payload');
  const { type } = check(interactionType, payload, 'payload');
  return { kind: 'dispatch', body: check(INTERACTIONS[type], payload, 'payload') as Record<string, unknown> };
}

// -----------------------------------------------------------------------------------------------------------------

export function readSlackRequest(kind: 'events' | 'commands' | 'interactions', raw: string): SlackRequest {
  const r = read(kind, raw);
  // People of a client's organisation write into a shared channel whatever Slack lets through: what PostgreSQL can't
  // store is named here rather than failing (and being redelivered) later.
  const unstorable = r.kind === 'dispatch' ? jsonProblem(r.body, kind === 'interactions' ? 'payload' : 'body') : null;
  if (unstorable) throw new InvalidSlackRequest(unstorable.replace(/^body\./, ''));
  return r;
}

function read(kind: 'events' | 'commands' | 'interactions', raw: string): SlackRequest {
  if (kind === 'events') return readEvent(json(raw, 'body'));
  const form = Object.fromEntries(new URLSearchParams(raw));
  if (kind === 'interactions') return readInteraction(form);
  if (form.ssl_check === '1') return { kind: 'notice', what: 'ssl_check' };
  return { kind: 'dispatch', body: check(command, form, 'body') };
}

function json(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    // The parser's own message quotes the input.
    throw new InvalidSlackRequest(`${what}: not valid JSON`);
  }
}

function check<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const where = (path: PropertyKey[]) => [what, ...path.map(String)].join('.').replace(/^body\./, '');
  throw new InvalidSlackRequest(r.error.issues.slice(0, 5).map((i) => `${where(i.path)}: ${i.message}`).join('; '));
}
