// The vendor's own in-app chat as a channel module: signed webhooks in, signed callbacks out (or read-back).
import { defineChannel } from '../../src/channels/module';
import type { ChannelAdapter, ChannelCapabilities } from '../../src/core/ports';
import type { InappAddress } from './address';
import { inappEnv } from './config';
import { inappRoutes } from './routes';
import { sendToCallback, type InappSendConfig } from './send';

export { normalize, InvalidPayload } from './normalize';
export { verify, signV1, signV2, signedHeaders, SignatureError } from './signature';
export { conversationKey } from './address';

export const INAPP_CAPABILITIES: ChannelCapabilities = {
  buttons: true,
  threads: false,
  attachments: true,
  maxTextLength: 10_000,
  markup: 'markdown',
  proactive: true,
  echoesOwnSends: false,
};

export function createInappAdapter(cfg: InappSendConfig): ChannelAdapter {
  return {
    kind: 'inapp',
    capabilities: INAPP_CAPABILITIES,
    send: (address, msg, opts) => sendToCallback(cfg, address as InappAddress, msg, opts),
  };
}

export default defineChannel({
  name: 'inapp',
  env: { required: ['INAPP_SECRET'], optional: ['INAPP_CALLBACK_URL'], schema: inappEnv },
  capabilities: INAPP_CAPABILITIES,
  create: (deps) => ({
    adapter: createInappAdapter({ secret: deps.config.INAPP_SECRET, callbackUrl: deps.config.INAPP_CALLBACK_URL, now: () => deps.clock.now() }),
    routes: (app) => inappRoutes(app, deps),
    describe: () => `inapp (POST /webhooks/inapp; replies ${deps.config.INAPP_CALLBACK_URL ? 'POSTed to INAPP_CALLBACK_URL and ' : ''}readable at GET /api/v1/inapp/accounts/:id/messages)`,
  }),
});
