import type { ChannelAdapter, ChannelCapabilities } from '../../src/core/ports';
import type { InappAddress } from './address';
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
