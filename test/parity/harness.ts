// The parity suite's contract: each channel ships a harness that turns neutral steps into its platform's native
// deliveries and decodes what the service sent back. Scenarios are written once against this interface.
import type { ChannelCapabilities } from '../../src/core/ports';
import type { ChannelKind, Urgency } from '../../src/core/model';
import type { TestService } from '../support/service';

/** What the client saw, in channel-neutral form. */
export interface NeutralOutbound {
  kind: string;
  text: string;
  caseNumber: number | null;
  author: string | null;
}

export interface DeliveryAnswer {
  /** HTTP status the platform got back from our webhook. */
  status: number;
  /** Our neutral outcome ('stored', 'duplicate', 'command', ...), when the channel reports it. */
  outcome: string | null;
}

export interface ChannelHarness {
  channel: ChannelKind;
  capabilities: ChannelCapabilities;
  /** Fields that tie a client created through the admin API to this channel's account. */
  clientFields(): Record<string, string>;
  /** Starts any fake platform servers and wires the service to them. */
  start(t: TestService): Promise<void>;
  clientSays(text: string, opts?: { urgency?: Urgency }): Promise<DeliveryAnswer>;
  /** The platform delivers its last delivery again. */
  redeliverLast(): Promise<DeliveryAnswer>;
  /** Everything the service sent to this client so far, decoded from the platform's native form. */
  received(): NeutralOutbound[];
  stop(): Promise<void>;
}

export type HarnessFactory = (t: TestService) => ChannelHarness;
