// Microsoft Teams, Web Chat and Direct Line through the Bot Framework (SPEC §6, §7): a JWT-verified webhook in, the
// stored conversation reference out, proactively. Consumer Skype is gone (shut down 5 May 2025); this channel carries
// the agreement's Skype row. botbuilder stays inside this folder (SDK.md).
import { defineChannel, type ChannelDeps, type ChannelInstance } from '../../src/channels/module';
import type { ChannelCapabilities } from '../../src/core/ports';
import { createRequestVerifier } from './auth';
import { botframeworkEnv, describeBotFramework, type BotFrameworkConfig } from './config';
import { createBotConnector } from './connector';
import { MAX_TEXT } from './format';
import { botframeworkRoutes } from './routes';
import { createBotFrameworkSdk } from './sdk';
import { createSend } from './send';
import { serviceUrlKeeper } from './service-url';

export const BOTFRAMEWORK_CAPABILITIES: ChannelCapabilities = {
  // An Adaptive Card in Teams, suggested actions in Web Chat and Direct Line.
  buttons: true,
  // A Teams channel post's thread is its own conversation.
  threads: true,
  // Files from managers go out as links (core composes them into the text); Teams takes bot files only through its
  // file-consent flow.
  attachments: false,
  maxTextLength: MAX_TEXT,
  markup: 'markdown',
  proactive: true,
  // Channels don't send a bot its own messages.
  echoesOwnSends: false,
};

export default defineChannel<BotFrameworkConfig>({
  name: 'botframework',
  env: botframeworkEnv,
  capabilities: BOTFRAMEWORK_CAPABILITIES,
  create: (deps) => createBotFramework(deps),
});

export function createBotFramework(deps: ChannelDeps<BotFrameworkConfig>): ChannelInstance {
  const cfg = deps.config;
  const sdk = createBotFrameworkSdk(cfg);
  const connector = createBotConnector(sdk);
  return {
    adapter: { kind: 'botframework', capabilities: BOTFRAMEWORK_CAPABILITIES, send: createSend(connector) },
    routes: botframeworkRoutes({
      verify: createRequestVerifier(sdk),
      authenticated: cfg.authentication === 'jwt',
      ingest: deps.ingest,
      keepServiceUrl: serviceUrlKeeper(deps),
      clock: deps.clock,
      metrics: deps.metrics,
      log: deps.log,
    }),
    describe: () => describeBotFramework(cfg, deps.publicUrl),
  };
}
