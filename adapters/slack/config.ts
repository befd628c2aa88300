// SLACK_* → the Slack channel's configuration. The channel rides on the manager console (the same app, token and
// signing secret), so it is on exactly when the console is; SLACK_API_URL and SLACK_LEAD_CHANNEL are the console's.
import { z } from 'zod';

export const SLACK_REQUIRED = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'] as const;

export const slackSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)'),
    SLACK_SIGNING_SECRET: z.string().min(16, 'SLACK_SIGNING_SECRET must be at least 16 characters'),
  })
  .transform((e) => ({ botToken: e.SLACK_BOT_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET }));

export type SlackChannelConfig = z.infer<typeof slackSchema>;
