// The Slack app manifest for the manager console (SPEC §5, §7) and the Slack Connect channels clients write from
// (adapters/slack): one place that names the slash commands, message shortcuts, scopes, events and request URLs the
// app serves. `npm run slack:manifest` prints it for
// api.slack.com/apps → Create New App → From an app manifest; slack-manifest.example.json is the committed copy.

export interface SlashCommandDef {
  command: string;
  description: string;
  usage_hint?: string;
}

export interface ShortcutDef {
  callback_id: string;
  name: string;
  description: string;
}

/** Paths the service serves Slack on (relative to PUBLIC_URL). */
export const SLACK_PATHS = {
  events: '/webhooks/slack/events',
  commands: '/webhooks/slack/commands',
  interactions: '/webhooks/slack/interactions',
} as const;

// Slash commands don't reach threads, so each names its case (default: the channel's most recent open case).
export const SLASH_COMMANDS: readonly SlashCommandDef[] = [
  {
    command: '/urgency',
    description: "Set a case's urgency; its SLA due time is recomputed",
    usage_hint: '<critical|high|medium|low|informational|feature> [#case]',
  },
  {
    command: '/eta',
    description: 'Commit to a resolution time; the client is told',
    usage_hint: '<2h | tomorrow 15:00> [#case]',
  },
  {
    command: '/needinfo',
    description: 'Ask the client for missing details (pauses the SLA clock)',
    usage_hint: '[#case] <question>',
  },
  {
    command: '/resolve',
    description: 'Resolve a case; the client is told',
    usage_hint: '[#case] [summary]',
  },
  {
    command: '/escalate',
    description: 'Escalate a case to the support lead',
    usage_hint: '[#case] <reason>',
  },
  { command: '/away', description: 'Mark yourself away: your cases go to the backup manager' },
  { command: '/back', description: 'Mark yourself back: your cases return to you' },
  { command: '/cases', description: 'Your queue, ordered by SLA due time' },
  { command: '/features', description: 'The feature-request queue' },
  {
    command: '/sla',
    description: 'SLA compliance report, for all clients or one',
    usage_hint: '[client]',
  },
  {
    command: '/link',
    description: "Link this channel, shared with a client's organisation, to that client",
    usage_hint: '<client>',
  },
];

// Message shortcuts: the same actions inside a case thread, where slash commands cannot be used.
export const MESSAGE_SHORTCUTS: readonly ShortcutDef[] = [
  { callback_id: 'case_eta', name: 'Post ETA', description: "Commit to a resolution time for this message's case" },
  { callback_id: 'case_needinfo', name: 'Ask for details', description: "Ask the client for missing details on this message's case" },
  { callback_id: 'case_resolve', name: 'Resolve case', description: "Resolve this message's case" },
  { callback_id: 'case_escalate', name: 'Escalate case', description: "Escalate this message's case to the support lead" },
  { callback_id: 'case_urgency', name: 'Set urgency', description: "Change the urgency of this message's case" },
];

export const BOT_SCOPES: readonly string[] = [
  'chat:write', // case cards, relayed messages, confirmations
  'chat:write.public',
  'chat:write.customize', // replies in a client's shared channel under the manager's name and picture
  'channels:read', // member_joined_channel, channel_id_changed in public (and shared) channels
  'channels:history', // message.channels: clients' posts in public shared channels
  'channels:manage',
  'groups:read',
  'groups:history', // message.groups: manager replies in private client channels, clients' posts in private shared ones
  'groups:write', // create the private client channels and invite managers
  'im:write',
  'im:history', // message.im
  'commands',
  'reactions:write', // delivery confirmations; the status mark on a client's post in a shared channel
  'files:read', // files.info: a file shared into a Slack Connect channel arrives without its details
  'users:read', // managers' names, time zones and pictures; names of clients' people
];

export const BOT_EVENTS: readonly string[] = [
  'message.channels', 'message.groups', 'message.im', 'app_home_opened',
  // Slack Connect: the app was added to a shared channel (ask which client it is), a private channel's id changed
  // when its share began.
  'member_joined_channel', 'channel_id_changed',
];

export interface SlackManifest {
  display_information: { name: string; description: string; background_color: string };
  features: {
    app_home: { home_tab_enabled: boolean; messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean };
    bot_user: { display_name: string; always_online: boolean };
    shortcuts: { name: string; type: 'message' | 'global'; callback_id: string; description: string }[];
    slash_commands: { command: string; url: string; description: string; usage_hint?: string; should_escape: boolean }[];
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
    org_deploy_enabled: boolean;
    socket_mode_enabled: boolean;
    token_rotation_enabled: boolean;
  };
}

/** PUBLIC_URL checked and without trailing slashes; throws a readable Error otherwise. */
export function normalisePublicUrl(publicUrl: string): string {
  const value = (publicUrl ?? '').trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`The public URL must be an http(s) URL such as https://switchboard.example.com (got "${publicUrl}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`The public URL must be an http(s) URL such as https://switchboard.example.com (got "${publicUrl}")`);
  if (url.search || url.hash || url.username || url.password)
    throw new Error(`The public URL must not carry a query, fragment or credentials (got "${publicUrl}")`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export function buildManifest(publicUrl: string, opts: { appName?: string } = {}): SlackManifest {
  const base = normalisePublicUrl(publicUrl);
  const name = (opts.appName ?? 'Switchboard').trim();
  if (!name || name.length > 35) throw new Error('The Slack app name must be 1 to 35 characters');
  return {
    display_information: {
      name,
      description: 'Premium support console: client cases, SLA clocks and replies, one thread per case.',
      background_color: '#1d3b5c',
    },
    features: {
      app_home: { home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: false },
      bot_user: { display_name: 'Switchboard', always_online: true },
      shortcuts: MESSAGE_SHORTCUTS.map((s) => ({ name: s.name, type: 'message' as const, callback_id: s.callback_id, description: s.description })),
      slash_commands: SLASH_COMMANDS.map((c) => ({
        command: c.command,
        url: base + SLACK_PATHS.commands,
        description: c.description,
        ...(c.usage_hint ? { usage_hint: c.usage_hint } : {}),
        should_escape: false,
      })),
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      event_subscriptions: { request_url: base + SLACK_PATHS.events, bot_events: [...BOT_EVENTS] },
      interactivity: { is_enabled: true, request_url: base + SLACK_PATHS.interactions },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  };
}
