// Clients on Slack (SPEC §6): a channel shared with the client's organisation through Slack Connect, answered from the
// vendor's own workspace. Each top-level post there and its thread is one conversation. The channel rides on the
// manager console: the same bolt app and receiver (one set of request URLs, one signature check), the same Web API
// client and records, handed over by composition as `deps.shared.slack`.
import { defineChannel, type ChannelDeps, type ChannelInstance } from '../../src/channels/module';
import type { ChannelCapabilities } from '../../src/core/ports';
import { SLACK_REQUIRED, slackSchema, type SlackChannelConfig } from './config';
import { SLACK_MAX_TEXT } from './format';
import { Identity } from './identity';
import { ChannelPacer } from './pace';
import { People } from './people';
import { statusReactions } from './reactions';
import { listen } from './receive';
import { createSend } from './send';
import { sharedSlack } from './shared';

export { conversationKey, type SlackAddress } from './address';

export const SLACK_CAPABILITIES: ChannelCapabilities = {
  buttons: true,
  threads: true,
  // Files from managers go out as links (core composes them into the text).
  attachments: false,
  maxTextLength: SLACK_MAX_TEXT,
  // Core's plain text, escaped so nothing in it turns into Slack markup.
  markup: 'none',
  proactive: true,
  // Our posts come back as message events; their ts is recorded as ours.
  echoesOwnSends: true,
};

export default defineChannel<SlackChannelConfig>({
  name: 'slack',
  env: { required: SLACK_REQUIRED, schema: slackSchema },
  capabilities: SLACK_CAPABILITIES,
  create: (deps) => createSlackChannel(deps),
});

export function createSlackChannel(deps: ChannelDeps<SlackChannelConfig>): ChannelInstance {
  const s = sharedSlack(deps.shared);
  const identity = new Identity(s.client);
  const people = new People(s.client);
  listen(s.app, { s, deps, identity, people });
  s.console.onCaseNotice(statusReactions({ client: s.client, data: s.data, state: deps.state }));
  return {
    adapter: { kind: 'slack', capabilities: SLACK_CAPABILITIES, send: createSend({ client: s.client, data: s.data, people, pacer: new ChannelPacer() }) },
    async startup() {
      // Known before the first event when Slack answers now; asked again on the next event otherwise.
      if (!(await identity.get())) deps.log.warn({ channel: 'slack' }, 'slack: auth.test did not answer; the vendor workspace is taken from events until it does');
    },
    describe: () => 'slack (Slack Connect channels shared with clients, through the manager console\'s request URLs)',
  };
}
