// The urgency buttons of an account's latest acknowledgement. Read-back returns what was said, not the choices that
// came with it (those live in the delivery's payload), so the in-app adapter notes them here as it delivers an
// acknowledgement — with or without choices — and the stream puts them back on the message they belong to. One
// row per account: only the latest acknowledgement's buttons are worth pressing.
import type { ChannelState, ReadbackMessage } from '../../../src/channels/module';
import type { OutboundChoice, OutboundMessage } from '../../../src/core/ports';

export interface Offer {
  caseNumber: number | null;
  text: string;
  choices: OutboundChoice[];
}

const key = (accountId: string) => `widget-offer:${accountId}`;

export class Offers {
  constructor(private readonly state: ChannelState) {}

  async delivered(accountId: string, msg: OutboundMessage): Promise<void> {
    if (msg.kind !== 'ack') return;
    await this.state.set(key(accountId), { caseNumber: msg.caseNumber ?? null, text: msg.text, choices: msg.choices ?? [] } satisfies Offer);
  }

  latest(accountId: string): Promise<Offer | null> {
    return this.state.get<Offer>(key(accountId));
  }
}

export const isAck = (m: ReadbackMessage) => m.direction === 'outbound' && m.kind === 'ack';

/** Whether an offer was made with this message (the same case and words; acknowledgements name their due time). */
export const offerMatches = (offer: Offer | null, m: ReadbackMessage): offer is Offer =>
  !!offer && offer.caseNumber === m.caseNumber && offer.text === m.text;
