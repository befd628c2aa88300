// Requests as Slack sends them to /webhooks/slack/*: v0 signature headers (PLATFORMS.md §Slack), urlencoded slash
// commands and `payload=` interaction bodies. The content-type header is the caller's to set.
import { createHmac } from 'node:crypto';

/** x-slack-request-timestamp (unix seconds) and x-slack-signature: 'v0=' + hex HMAC-SHA256(secret, `v0:${ts}:${body}`). */
export function slackHeaders(signingSecret: string, rawBody: string, at: Date): Record<string, string> {
  const ts = String(Math.floor(at.getTime() / 1000));
  const signature = 'v0=' + createHmac('sha256', signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': signature };
}

/** application/x-www-form-urlencoded, as Slack sends slash commands. */
export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** A slash-command body with the fields Slack adds around the ones a test cares about. */
export function slashCommand(fields: {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  response_url: string;
  trigger_id?: string;
  team_id?: string;
}): string {
  return formBody({
    token: 'deprecated-verification-token',
    team_id: fields.team_id ?? 'T1',
    team_domain: 'vendor',
    channel_id: fields.channel_id,
    channel_name: 'privategroup',
    user_id: fields.user_id,
    user_name: 'manager',
    command: fields.command,
    text: fields.text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? '1000000000.1000000000.abcdef0123456789abcdef0123456789',
  });
}

/** An interaction (block_actions, message_action, view_submission, ...) body: 'payload=' + URL-encoded JSON. */
export function interactionBody(payload: object): string {
  return 'payload=' + encodeURIComponent(JSON.stringify(payload));
}
