// The parity suite's contract: each channel ships a harness (adapters/<name>/harness.ts, default export a factory)
// that turns neutral steps into its platform's native deliveries and decodes what the service sent back into the
// neutral form below. Scenarios are written once against this interface and run on every channel.
import type { ChannelCapabilities } from '../../src/core/ports';
import type { ChannelKind, Urgency } from '../../src/core/model';
import type { TestService } from '../support/service';

/**
 * What the client saw, in channel-neutral form: the text as core composed it (markup, the author line, split parts
 * and numbered-choice fallbacks undone by the harness), who it was from, and the choices offered (command values).
 */
export interface NeutralOutbound {
  text: string;
  author: string | null;
  choices: string[];
}

export interface DeliveryAnswer {
  /** HTTP status the platform got back from our webhook (200 for pull transports that took it). */
  status: number;
  /** Our neutral outcome ('stored', 'duplicate', 'command', ...), when the channel reports it. */
  outcome: string | null;
}

export interface ChannelHarness {
  channel: ChannelKind;
  capabilities: ChannelCapabilities;
  /** Starts the fake platform servers the channel talks to; returns the environment that enables and points it. */
  prepare(): Promise<Record<string, string>>;
  /** Called once the service runs (built with that environment). */
  start(t: TestService): Promise<void>;
  /** Ties a client made through the admin API to this harness's client account / chat / conversation. */
  link(t: TestService, clientId: string): Promise<void>;
  clientSays(text: string, opts?: { urgency?: Urgency }): Promise<DeliveryAnswer>;
  /** The client takes one of the choices last offered (a button press where the platform has buttons). */
  choose(value: string): Promise<DeliveryAnswer>;
  /** The platform delivers its last delivery again. */
  redeliverLast(): Promise<DeliveryAnswer>;
  /** Everything the service sent to this client so far, decoded from the platform's native form. */
  received(): NeutralOutbound[];
  stop(): Promise<void>;
}

export type HarnessFactory = () => ChannelHarness;
