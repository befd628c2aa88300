// A conversation's service URL can change (Teams moves a tenant to another region's connector; the docs say to use the
// latest one). A case keeps the conversation reference it was opened with, so when an authenticated activity names a
// different service URL, the conversation's open cases and queued replies follow it. Checked once per conversation
// per process, and again only when the URL an activity carries differs from the last one seen.
import type { ChannelDeps } from '../../src/channels/module';
import { describeError } from '../../src/core/errors';
import type { InboundEnvelope } from '../../src/core/ports';
import type { BotFrameworkAddress } from './address';

const REMEMBERED = 10_000;

export function serviceUrlKeeper(deps: Pick<ChannelDeps<unknown>, 'conversationOf' | 'moveConversation' | 'log'>) {
  const seen = new Map<string, string>();
  const remember = (key: string, url: string) => {
    seen.delete(key);
    seen.set(key, url);
    if (seen.size > REMEMBERED) seen.delete(seen.keys().next().value!);
  };

  /** After the envelope's message is stored: its case's reference gets the service URL the activity came from. */
  return async function keep(env: InboundEnvelope): Promise<void> {
    const url = (env.address as BotFrameworkAddress).serviceUrl;
    if (seen.get(env.conversationKey) === url) return;
    try {
      const stored = await deps.conversationOf({ platformIds: env.platformMessageIds });
      const address = stored?.address as BotFrameworkAddress | null | undefined;
      if (address?.serviceUrl && address.serviceUrl !== url) {
        const moved = await deps.moveConversation(
          { conversationKey: env.conversationKey },
          { conversationKey: env.conversationKey, address: { ...address, serviceUrl: url } },
        );
        deps.log.info({ channel: 'botframework', conversationKey: env.conversationKey, cases: moved }, 'botframework: the conversation has a new service URL; its open cases follow');
      }
      remember(env.conversationKey, url);
    } catch (err) {
      // The message is stored; the next activity of the conversation tries again.
      deps.log.warn({ channel: 'botframework', err: describeError(err) }, 'botframework: could not update the service URL of a conversation');
    }
  };
}
