import fs from 'node:fs';
import path from 'node:path';
import { buildManifest } from '../../src/console/slack/manifest';

const COMMANDS = ['/urgency', '/eta', '/needinfo', '/resolve', '/escalate', '/away', '/back', '/cases', '/features', '/sla', '/link'];
const SHORTCUTS = ['case_eta', 'case_needinfo', 'case_resolve', 'case_escalate', 'case_urgency'];

describe('Slack app manifest', () => {
  test('request URLs are built from the public URL, trailing slash stripped', () => {
    for (const url of ['https://sb.example.com', 'https://sb.example.com/', 'https://sb.example.com//']) {
      const m = buildManifest(url);
      expect(m.settings.event_subscriptions.request_url).toBe('https://sb.example.com/webhooks/slack/events');
      expect(m.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://sb.example.com/webhooks/slack/interactions' });
      for (const c of m.features.slash_commands) expect(c.url).toBe('https://sb.example.com/webhooks/slack/commands');
    }
    // A path prefix (service behind a reverse proxy) is kept.
    expect(buildManifest('https://example.com/switchboard/').settings.event_subscriptions.request_url).toBe(
      'https://example.com/switchboard/webhooks/slack/events',
    );
  });

  test('all eleven slash commands point at the commands URL, unescaped, with descriptions', () => {
    const m = buildManifest('https://sb.example.com');
    expect(m.features.slash_commands.map((c) => c.command).sort()).toEqual([...COMMANDS].sort());
    for (const c of m.features.slash_commands) {
      expect(c).toMatchObject({ url: 'https://sb.example.com/webhooks/slack/commands', should_escape: false });
      expect(c.description.length).toBeGreaterThan(0);
    }
    const hint = (cmd: string) => m.features.slash_commands.find((c) => c.command === cmd)?.usage_hint;
    expect(hint('/urgency')).toContain('critical|high|medium|low|informational|feature');
    expect(hint('/eta')).toContain('[#case]');
    expect(hint('/escalate')).toContain('<reason>');
    expect(hint('/link')).toBe('<client>');
  });

  test('the five message shortcuts', () => {
    const m = buildManifest('https://sb.example.com');
    expect(m.features.shortcuts.map((s) => s.callback_id).sort()).toEqual([...SHORTCUTS].sort());
    for (const s of m.features.shortcuts) {
      expect(s.type).toBe('message');
      expect(s.name.length).toBeGreaterThan(0);
      expect(s.name.length).toBeLessThanOrEqual(25);
      expect(s.description.length).toBeGreaterThan(0);
    }
  });

  test('scopes, events, app home and settings', () => {
    const m = buildManifest('https://sb.example.com');
    expect(m.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining(['groups:write', 'chat:write', 'commands', 'reactions:write', 'groups:history', 'im:history', 'users:read']),
    );
    // Slack Connect: posts in public and private shared channels, replies under a manager's name and picture, file
    // details Slack withholds from shared-channel events, and the app being added to a shared channel.
    expect(m.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['channels:history', 'groups:history', 'chat:write.customize', 'files:read', 'channels:read', 'groups:read']));
    expect(m.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['message.channels', 'message.groups', 'message.im', 'app_home_opened', 'member_joined_channel', 'channel_id_changed']),
    );
    expect(new Set(m.oauth_config.scopes.bot).size).toBe(m.oauth_config.scopes.bot.length);
    expect(m.features.app_home).toEqual({ home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: false });
    expect(m.features.bot_user).toEqual({ display_name: 'Switchboard', always_online: true });
    expect(m.settings).toMatchObject({ org_deploy_enabled: false, socket_mode_enabled: false, token_rotation_enabled: false });
    expect(m.display_information.name).toBe('Switchboard');
    expect(buildManifest('https://sb.example.com', { appName: 'Acme Support' }).display_information.name).toBe('Acme Support');
  });

  test('a public URL that is not http(s) throws a clear error', () => {
    for (const bad of ['', 'switchboard.example.com', 'ftp://sb.example.com', 'not a url', 'https://sb.example.com/?x=1'])
      expect(() => buildManifest(bad)).toThrow(/public URL/);
  });

  test('the committed example is buildManifest("https://switchboard.example.com")', () => {
    const file = path.resolve(__dirname, '../../slack-manifest.example.json');
    const committed = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(committed).toEqual(buildManifest('https://switchboard.example.com'));
  });
});
