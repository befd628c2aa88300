// What the Slack channel takes from the manager console (src/services.ts puts it in `deps.shared.slack`): the bolt
// app its listeners join, the Web API client it posts with, the console's records and the console itself.
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../src/console/slack/app';

export type SlackShared = SlackDeps & { app: App };

export function sharedSlack(shared: Readonly<Record<string, unknown>> | undefined): SlackShared {
  const s = shared?.slack as Partial<SlackShared> | undefined;
  if (!s?.app || !s.client || !s.data || !s.console || !s.core)
    throw new Error('the Slack channel answers clients through the Slack manager console: configure it (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)');
  return s as SlackShared;
}
