// The vendor's own in-app chat as a channel module: signed webhooks in, signed callbacks out (or read-back), and
// the chat widget (widget/) as a second front door to the same conversations.
import { defineChannel } from '../../src/channels/module';
import type { ChannelAdapter, ChannelCapabilities } from '../../src/core/ports';
import type { InappAddress } from './address';
import { inappEnv } from './config';
import { inappRoutes } from './routes';
import { sendToCallback, type InappSendConfig } from './send';
import { createWidget } from './widget';

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
  env: { required: ['INAPP_SECRET'], optional: ['INAPP_CALLBACK_URL', 'WIDGET_ORIGINS'], schema: inappEnv },
  capabilities: INAPP_CAPABILITIES,
  create: (deps) => {
    const base = createInappAdapter({ secret: deps.config.INAPP_SECRET, callbackUrl: deps.config.INAPP_CALLBACK_URL, now: () => deps.clock.now() });
    const widget = createWidget(deps);
    const origins = deps.config.WIDGET_ORIGINS ?? [];
    return {
      // Every delivery to an account passes the widget first: it keeps the acknowledgement's urgency choices (the
      // read-back doesn't carry them) and wakes the account's open streams.
      adapter: {
        ...base,
        send: async (address, msg, opts) => {
          await widget.delivering(address as InappAddress, msg);
          return base.send(address, msg, opts);
        },
      },
      routes: async (app) => {
        await inappRoutes(app, deps);
        await widget.routes(app);
      },
      describe: () =>
        `inapp (POST /webhooks/inapp; replies ${deps.config.INAPP_CALLBACK_URL ? 'POSTed to INAPP_CALLBACK_URL and ' : ''}readable at GET /api/v1/inapp/accounts/:id/messages; ` +
        `chat widget at /widget.js for ${origins.length ? origins.join(', ') : 'this origin only (set WIDGET_ORIGINS)'})`,
    };
  },
});
