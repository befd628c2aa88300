// Outbound: one composed message (core already split it at MAX_TEXT and turned files into links) → one activity to
// the stored conversation reference, proactively: the same call serves a reply seconds later and one after a restart.
import type { Activity } from 'botframework-schema';
import { splitText } from '../../src/core/outbound';
import { DeliveryError, type OutboundMessage, type SendResult } from '../../src/core/ports';
import { messageScope, parseAddress, threadOf, type BotFrameworkAddress } from './address';
import { choiceCard, suggestedActions } from './cards';
import { ConnectorError, toDeliveryError, type BotConnector, type StoredConversationReference } from './connector';
import { flavorOf, MAX_RENDERED, MAX_TEXT, renderMessage } from './format';

export function createSend(connector: BotConnector) {
  return async function send(raw: unknown, msg: OutboundMessage, opts: { idempotencyKey: string; signal: AbortSignal }): Promise<SendResult> {
    const address = parseAddress(raw);
    // Stored data no retry can fix: reported to the manager on the case at once.
    if (!address) throw new DeliveryError('botframework: the stored conversation reference is incomplete', false);
    const scope = messageScope(address.channelId, address.conversation.id);
    const flavor = flavorOf(address.channelId);
    // Text that markdown escaping more than doubles could pass Teams' size limit: it goes out in smaller parts.
    const author = msg.author?.name;
    const whole = renderMessage(msg.text, author, flavor);
    const rendered = whole.length > MAX_RENDERED ? splitText(msg.text, Math.floor(MAX_TEXT / 2)).map((t) => renderMessage(t, author, flavor)) : [whole];
    const replyToId = replyToIdFor(address, msg, scope);
    const ids: string[] = [];
    for (const [i, text] of rendered.entries()) {
      const last = i === rendered.length - 1;
      const activity: Partial<Activity> = {
        type: 'message',
        textFormat: 'markdown',
        text,
        ...(last && msg.choices?.length ? (choicesFor(address, msg.choices) as Partial<Activity>) : {}),
        // Teams wants the tenant with a proactive message.
        ...(flavor === 'teams' && address.conversation.tenantId ? { channelData: { tenant: { id: address.conversation.tenantId } } } : {}),
      };
      try {
        const res = await connector.sendActivity(address as unknown as StoredConversationReference, activity, { replyToId, signal: opts.signal });
        if (res.id) ids.push(res.id);
      } catch (err) {
        throw err instanceof ConnectorError ? toDeliveryError(err) : err;
      }
    }
    // The scope inbound ids of this conversation live in: an echo of this send is recognised by the same lookup.
    return { externalIds: ids, scope };
  };
}

function choicesFor(address: BotFrameworkAddress, choices: NonNullable<OutboundMessage['choices']>) {
  if (flavorOf(address.channelId) === 'teams') return { attachments: [choiceCard(choices)] };
  return { suggestedActions: suggestedActions(choices, address.user?.id) };
}

/**
 * Teams channel posts: every message goes into the thread of the client's post (the root of the conversation id).
 * Teams personal and group chats have no threads (and a card press's id, "f:…", names no message): none. Web Chat and
 * Direct Line: the client message this answers, when it is from this conversation.
 */
function replyToIdFor(address: BotFrameworkAddress, msg: OutboundMessage, scope: string): string | undefined {
  if (flavorOf(address.channelId) === 'teams') return threadOf(address.conversation.id)?.rootId;
  return msg.replyTo && msg.replyTo.scope === scope ? msg.replyTo.externalId : undefined;
}
