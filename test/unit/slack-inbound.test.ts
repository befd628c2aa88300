// The rules at the Slack edge: which request shapes are dispatched to bolt (Slack's documented payloads) and which are
// refused with a reason; how client text is escaped for mrkdwn; how long a command may take before it is acked.
import { escapeMrkdwn, mrkdwnLink } from '../../src/console/slack/escape';
import { InvalidSlackRequest, readSlackRequest } from '../../src/console/slack/inbound';
import { inTime, settle } from '../../src/console/slack/answer';
import { interactionBody, slashCommand } from '../support/slack-signing';

describe('escapeMrkdwn', () => {
  test('escapes the three characters Slack parses, and only those', () => {
    expect(escapeMrkdwn('<!channel> Acme & Co <https://evil.test|click>')).toBe('&lt;!channel&gt; Acme &amp; Co &lt;https://evil.test|click&gt;');
    // A client who typed an entity sees it as typed.
    expect(escapeMrkdwn('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;');
    expect(escapeMrkdwn('*bold* _it_ "quotes" \'apos\' :smile:')).toBe('*bold* _it_ "quotes" \'apos\' :smile:');
  });

  test('a link built from client values shows their label and cannot end early or carry markup', () => {
    expect(mrkdwnLink('https://files.test/r.pdf?a=1&b=2', 'report.pdf')).toBe('<https://files.test/r.pdf?a=1&amp;b=2|report.pdf>');
    const link = mrkdwnLink('https://good.test/x|<!channel>', 'a<!here>|b>');
    expect(link).toBe('<https://good.test/x%7C&lt;!channel&gt;|a&lt;!here&gt;|b&gt;>');
    // One link: its only unescaped '<' and '>' are its own.
    expect(link.match(/[<>]/g)).toEqual(['<', '>']);
  });
});

const envelope = (event: Record<string, unknown>, over: Record<string, unknown> = {}) => JSON.stringify({
  token: 'x', team_id: 'T0001', api_app_id: 'A0001', type: 'event_callback', event_id: 'Ev0001', event_time: 1790000000, event,
  authorizations: [{ enterprise_id: null, team_id: 'T0001', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
  is_ext_shared_channel: false, event_context: '4-eyJldCI6Im1lc3NhZ2UifQ', ...over,
});
const user = { id: 'U0001', username: 'maria', name: 'maria', team_id: 'T0001' };
const team = { id: 'T0001', domain: 'vendor' };
const CASE = '0b8e1a1e-3f1c-4a53-9d5e-1e2f3a4b5c6d';

describe('readSlackRequest: what Slack sends is dispatched', () => {
  const dispatched = (kind: 'events' | 'commands' | 'interactions', raw: string) => {
    const r = readSlackRequest(kind, raw);
    expect(r.kind).toBe('dispatch');
    return (r as { body: Record<string, any> }).body;
  };

  test('events: a thread reply, a file share, an edit, a bot post, App Home, a reaction', () => {
    const reply = { type: 'message', channel: 'C0001', channel_type: 'group', user: 'U0001', text: 'hi', ts: '1790000000.000200', thread_ts: '1790000000.000100', client_msg_id: 'a-b', blocks: [] };
    expect(dispatched('events', envelope(reply)).event).toMatchObject(reply);
    dispatched('events', envelope({ ...reply, subtype: 'file_share', files: [{ id: 'F1' }], upload: false }));
    dispatched('events', envelope({ type: 'message', subtype: 'message_changed', channel: 'C0001', hidden: true, ts: '1790000000.000300', message: { text: 'x' }, previous_message: { text: 'y' } }));
    dispatched('events', envelope({ type: 'message', subtype: 'bot_message', channel: 'C0001', bot_id: 'B0001', text: 'card', ts: '1790000000.000400' }));
    dispatched('events', envelope({ type: 'app_home_opened', user: 'U0001', channel: 'D0001', tab: 'home', event_ts: '1790000000.000500' }));
    dispatched('events', envelope({ type: 'reaction_added', user: 'U0001', reaction: 'eyes', item: { type: 'message', channel: 'C0001', ts: '1790000000.000200' }, event_ts: '1' }));
    // An Enterprise Grid envelope.
    dispatched('events', envelope(reply, { enterprise_id: 'E0001', authorizations: [{ enterprise_id: 'E0001', team_id: 'T0001', user_id: 'U0BOT', is_bot: true }] }));
  });

  test('events: Slack Connect posts, edits, deletions, files, the app joining, a channel id changing', () => {
    const ext = {
      client_msg_id: 'c-1', type: 'message', text: 'hi', user: 'U0EXT', ts: '1790000000.000200', team: 'T0EXT', user_team: 'T0EXT', source_team: 'T0EXT',
      user_profile: { avatar_hash: 'x', image_72: 'https://a.test/x.png', first_name: 'Ann', real_name: 'Ann Client', display_name: 'Ann', team: 'T0EXT', name: 'ann', is_restricted: false, is_ultra_restricted: false },
      blocks: [], channel: 'C0SHARED', event_ts: '1790000000.000200', channel_type: 'channel',
    };
    expect(dispatched('events', envelope(ext, { is_ext_shared_channel: true })).event).toMatchObject({ user_team: 'T0EXT' });
    dispatched('events', envelope({ ...ext, subtype: 'file_share', files: [{ id: 'F1', mode: 'file_access', file_access: 'check_file_info', created: 0, timestamp: 0, user: '' }] }, { is_ext_shared_channel: true }));
    dispatched('events', envelope({ type: 'message', subtype: 'message_changed', hidden: true, channel: 'C0SHARED', ts: '1790000000.000300', message: { ...ext, channel: undefined }, previous_message: { text: 'y', ts: '1790000000.000200' } }));
    dispatched('events', envelope({ type: 'message', subtype: 'message_deleted', hidden: true, channel: 'C0SHARED', ts: '1790000000.000400', deleted_ts: '1790000000.000200', previous_message: { text: 'y', ts: '1790000000.000200' } }));
    dispatched('events', envelope({ type: 'member_joined_channel', user: 'U0BOT', channel: 'C0SHARED', channel_type: 'C', team: 'T0001', inviter: 'U0001', event_ts: '1790000000.000500' }, { is_ext_shared_channel: true }));
    dispatched('events', envelope({ type: 'channel_id_changed', old_channel_id: 'G0SHARED', new_channel_id: 'C0SHARED', event_ts: '1612206778.000000' }));
  });

  test('events: url_verification is answered with its challenge, app_rate_limited only noted', () => {
    expect(readSlackRequest('events', JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' }))).toEqual({ kind: 'challenge', challenge: 'c-123' });
    expect(readSlackRequest('events', JSON.stringify({ token: 'x', type: 'app_rate_limited', team_id: 'T0001', minute_rate_limited: 1518467820, api_app_id: 'A0001' })))
      .toEqual({ kind: 'notice', what: 'app_rate_limited' });
  });

  test('commands: the form Slack posts, with stray fields dropped so they cannot re-route it', () => {
    const raw = slashCommand({ command: '/eta', text: '2h #1042', user_id: 'U0001', channel_id: 'C0001', response_url: 'https://hooks.slack.com/commands/T0001/1/abc' });
    const body = dispatched('commands', `${raw}&event=oops&actions=x`);
    expect(body).toMatchObject({ command: '/eta', text: '2h #1042', user_id: 'U0001', channel_id: 'C0001', team_id: 'T1' });
    expect(body).not.toHaveProperty('event');
    expect(body).not.toHaveProperty('actions');
    // Slack leaves `text` out when the command has no arguments.
    expect(dispatched('commands', raw.replace(/&text=[^&]*/, '')).text).toBe('');
    expect(readSlackRequest('commands', 'ssl_check=1&token=x')).toEqual({ kind: 'notice', what: 'ssl_check' });
  });

  test('interactions: a button, a select, a modal submission and close, a message shortcut, a global shortcut', () => {
    const button = {
      type: 'block_actions', user, api_app_id: 'A0001', token: 'x', team, enterprise: null, is_enterprise_install: false, trigger_id: '1.2.abc',
      container: { type: 'message', message_ts: '1790000000.000100', channel_id: 'C0001', is_ephemeral: false },
      channel: { id: 'C0001', name: 'privategroup' }, message: { type: 'message', ts: '1790000000.000100', text: 'card' }, response_url: 'https://hooks.slack.com/actions/T0001/1/abc',
      state: { values: {} }, actions: [{ type: 'button', action_id: 'resolve', block_id: `case:${CASE}`, value: CASE, action_ts: '1790000001.000001', text: { type: 'plain_text', text: 'Resolve' } }],
    };
    expect(dispatched('interactions', interactionBody(button)).actions[0].value).toBe(CASE);
    dispatched('interactions', interactionBody({ ...button, actions: [{ type: 'static_select', action_id: 'set_urgency', block_id: `case:${CASE}`, selected_option: { text: { type: 'plain_text', text: 'high' }, value: `${CASE}:high` }, action_ts: '1' }] }));
    const view = {
      id: 'V0001', team_id: 'T0001', type: 'modal', callback_id: 'modal_eta', private_metadata: CASE, hash: '1.a', blocks: [], title: { type: 'plain_text', text: 'Post ETA' },
      state: { values: { when: { value: { type: 'plain_text_input', value: '2h' } }, note: { value: { type: 'plain_text_input', value: null } }, urgency: { value: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'high' }, value: 'high' } } } } },
      app_installed_team_id: 'T0001', root_view_id: 'V0001', previous_view_id: null,
    };
    expect(dispatched('interactions', interactionBody({ type: 'view_submission', team, user, api_app_id: 'A0001', token: 'x', trigger_id: '1.2.abc', view, response_urls: [], is_enterprise_install: false, enterprise: null })).view.private_metadata).toBe(CASE);
    dispatched('interactions', interactionBody({ type: 'view_closed', team, user, api_app_id: 'A0001', token: 'x', view, is_cleared: false }));
    dispatched('interactions', interactionBody({
      type: 'message_action', callback_id: 'case_resolve', trigger_id: '1.2.abc', message_ts: '1790000000.000200', response_url: 'https://hooks.slack.com/app/T0001/1/abc',
      team, user, channel: { id: 'C0001', name: 'privategroup' }, message: { type: 'message', user: 'U0002', ts: '1790000000.000200', thread_ts: '1790000000.000100', text: 'x' }, token: 'x', action_ts: '1',
    }));
    dispatched('interactions', interactionBody({ type: 'shortcut', callback_id: 'x', trigger_id: '1.2.abc', team, user, token: 'x', action_ts: '1' }));
  });
});

describe('readSlackRequest: anything else is refused, naming the field and never quoting the request', () => {
  const refused = (kind: 'events' | 'commands' | 'interactions', raw: string) => {
    try {
      readSlackRequest(kind, raw);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidSlackRequest);
      expect((err as Error).message).not.toContain('SECRET-TEXT');
      return (err as Error).message;
    }
    throw new Error(`accepted: ${raw}`);
  };
  const reply = { type: 'message', channel: 'C0001', user: 'U0001', text: 'SECRET-TEXT', ts: '1790000000.000200', thread_ts: '1790000000.000100' };

  test.each([
    ['not JSON', '{"text": "SECRET-TEXT"', /^body: not valid JSON$/],
    ['null', 'null', /^body: .*expected object/],
    ['a number', '7', /^body: .*expected object/],
    ['an envelope without a known type', JSON.stringify({ type: 'SECRET-TEXT' }), /^type: /],
    ['an event that is a string', envelope('SECRET-TEXT' as never), /^event: .*expected object/],
    ['an event that is null', envelope(null as never), /^event: /],
    ['an event without a type', envelope({ text: 'SECRET-TEXT' }), /^event\.type: /],
    ['an item that is a string', envelope({ type: 'reaction_added', item: 'SECRET-TEXT' }), /^event\.item: /],
    ['a channel that is null', envelope({ type: 'reaction_added', channel: null }), /^event\.channel: /],
    ['a message whose ts is not a ts', envelope({ ...reply, ts: 'SECRET-TEXT' }), /^event\.ts: must be a Slack message ts/],
    ['a message whose text is an object', envelope({ ...reply, text: { t: 'SECRET-TEXT' } }), /^event\.text: /],
    ['App Home without a user', envelope({ type: 'app_home_opened', tab: 'home' }), /^event\.user: /],
    ['team_id "constructor"', envelope(reply, { team_id: 'constructor' }), /^team_id: must be a Slack id/],
    ['team_id "__proto__"', envelope(reply, { team_id: '__proto__' }), /^team_id: /],
    ['an authorization for team "toString"', envelope(reply, { authorizations: [{ team_id: 'toString' }] }), /^authorizations\.0\.team_id: /],
    ['no event_id', envelope(reply, { event_id: undefined }), /^event_id: /],
    ['a url_verification without a challenge', JSON.stringify({ type: 'url_verification' }), /^challenge: /],
    ['a user_team that is no Slack id', envelope({ ...reply, user_team: 'constructor' }), /^event\.user_team: must be a Slack id/],
    ['files that are a string', envelope({ ...reply, subtype: 'file_share', files: 'SECRET-TEXT' }), /^event\.files: /],
    ['an edit whose message is a string', envelope({ type: 'message', subtype: 'message_changed', channel: 'C0001', ts: '1790000000.000300', message: 'SECRET-TEXT' }), /^event\.message: /],
    ['a deletion whose deleted_ts is not a ts', envelope({ type: 'message', subtype: 'message_deleted', channel: 'C0001', ts: '1790000000.000300', deleted_ts: 'SECRET-TEXT' }), /^event\.deleted_ts: /],
    ['a member_joined_channel without its channel', envelope({ type: 'member_joined_channel', user: 'U0BOT' }), /^event\.channel: /],
    ['is_ext_shared_channel that is a string', envelope(reply, { is_ext_shared_channel: 'SECRET-TEXT' }), /^is_ext_shared_channel: /],
    ['a NUL in a message', envelope({ ...reply, text: 'SECRET-TEXT\u0000' }), /^event\.text: contains a NUL character/],
  ])('event: %s', (_name, raw, why) => {
    expect(refused('events', raw)).toMatch(why);
  });

  const cmd = (over: Record<string, string | null>) => {
    const f: Record<string, string> = Object.fromEntries(new URLSearchParams(slashCommand({ command: '/eta', text: 'SECRET-TEXT', user_id: 'U0001', channel_id: 'C0001', response_url: 'https://hooks.slack.com/x' })));
    for (const [k, v] of Object.entries(over)) if (v === null) delete f[k]; else f[k] = v;
    return new URLSearchParams(f).toString();
  };
  test.each([
    ['no command', cmd({ command: null }), /^command: /],
    ['a command without its slash', cmd({ command: 'eta' }), /^command: must be a slash command/],
    ['no user_id', cmd({ user_id: null }), /^user_id: /],
    ['team_id "constructor"', cmd({ team_id: 'constructor' }), /^team_id: /],
    ['a response_url that is no URL', cmd({ response_url: 'SECRET-TEXT' }), /^response_url: /],
    ['an empty body', '', /^command: /],
  ])('command: %s', (_name, raw, why) => {
    expect(refused('commands', raw)).toMatch(why);
  });

  const action = { type: 'block_actions', team, user, trigger_id: '1.2.abc', actions: [{ type: 'button', action_id: 'resolve', value: 'SECRET-TEXT' }] };
  test.each([
    ['no payload', 'text=SECRET-TEXT', /^payload: missing/],
    ['a payload that is not JSON', 'payload=SECRET-TEXT', /^payload: not valid JSON$/],
    ['payload null', 'payload=null', /^payload: .*expected object/],
    ['payload a number', 'payload=42', /^payload: .*expected object/],
    ['payload an array', interactionBody([action]), /^payload: .*expected object/],
    ['payload a string', `payload=${encodeURIComponent('"SECRET-TEXT"')}`, /^payload: .*expected object/],
    ['an unknown type', interactionBody({ ...action, type: 'SECRET-TEXT' }), /^payload\.type: /],
    ['no user', interactionBody({ ...action, user: undefined }), /^payload\.user: /],
    ['team "constructor"', interactionBody({ ...action, team: { id: 'constructor' } }), /^payload\.team\.id: /],
    ['actions as a string', interactionBody({ ...action, actions: 'SECRET-TEXT' }), /^payload\.actions: /],
    ['no actions', interactionBody({ ...action, actions: [] }), /^payload\.actions: /],
    ['an action without action_id', interactionBody({ ...action, actions: [{ type: 'button' }] }), /^payload\.actions\.0\.action_id: /],
    ['a stray event that would make bolt see an event', interactionBody({ ...action, event: { type: 'message' } }), /^payload\.event: /],
    ['a stray command', interactionBody({ ...action, command: '/resolve' }), /^payload\.command: /],
    ['a submission without a view', interactionBody({ type: 'view_submission', team, user, view: null }), /^payload\.view: /],
    ['a submission whose values are a string', interactionBody({ type: 'view_submission', team, user, view: { id: 'V1', callback_id: 'modal_eta', state: { values: 'SECRET-TEXT' } } }), /^payload\.view\.state\.values: /],
    ['a shortcut without its message', interactionBody({ type: 'message_action', team, user, callback_id: 'case_eta', trigger_id: '1', response_url: 'https://hooks.slack.com/x', channel: { id: 'C0001' } }), /^payload\.message: /],
  ])('interaction: %s', (_name, raw, why) => {
    expect(refused('interactions', raw)).toMatch(why);
  });
});

describe('inTime', () => {
  test('gives the outcome of work that finishes in time, success or failure', async () => {
    expect(await inTime(settle(async () => 'done'), 50)).toEqual({ ok: true, value: 'done' });
    const boom = new Error('boom');
    expect(await inTime(settle(async () => { throw boom; }), 50)).toEqual({ ok: false, err: boom });
    // A synchronous throw is an outcome too, not an exception.
    expect(await inTime(settle((() => { throw boom; }) as () => Promise<never>), 50)).toEqual({ ok: false, err: boom });
  });

  test('gives null for work still running, which goes on to its outcome', async () => {
    const outcome = settle(() => new Promise<string>((r) => setTimeout(() => r('late'), 80)));
    expect(await inTime(outcome, 20)).toBeNull();
    expect(await outcome).toEqual({ ok: true, value: 'late' });
  });
});
