// What a client channel is to the rest of the service: one module per folder under adapters/, listed once in
// src/channels/registry.ts. Composition (src/services.ts, src/main.ts) iterates the registry; nothing under src/
// imports a specific adapter (test/architecture.test.ts enforces it).
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { IngestOutcome } from '../core/intake';
import type { ChannelKind } from '../core/model';
import type { ChannelAdapter, ChannelCapabilities, Clock, InboundEnvelope, Logger } from '../core/ports';
import type { Metrics } from '../http/metrics';

/**
 * A channel's environment variables. The channel is enabled when every `required` variable is set; some but not all
 * set stops start-up naming what is missing (SPEC §7). `schema` validates all of them together (zod), with messages
 * that name the variable.
 */
export interface ChannelEnv<Cfg> {
  required: readonly string[];
  optional?: readonly string[];
  /** Variables that switch the channel on by themselves (an explicit local-test mode), the required ones then optional. */
  enabledBy?: readonly string[];
  schema: z.ZodType<Cfg>;
}

/** A message of a conversation as its client reads it back (commit-ordered positions, see src/db/readback.ts). */
export interface ReadbackMessage {
  seq: number;
  id: string;
  direction: string;
  kind: string;
  text: string;
  attachments: unknown;
  caseNumber: number | null;
  author: { name: string } | { userId: string | null };
  createdAt: string;
}

/** Small durable state a channel keeps for itself: polling offsets, mailbox cursors, a registered webhook's hash. */
export interface ChannelState {
  get<T>(key: string): Promise<T | null>;
  set(key: string, value: unknown): Promise<void>;
  /** Stores `value` unless the key has one; returns what is stored (so instances racing to create a secret agree). */
  init<T>(key: string, value: T): Promise<T>;
}

/** Work that must run on one instance at a time (long polling, IMAP IDLE), taken over when that instance dies. */
export interface Receiver {
  name: string;
  /** Runs until `signal` aborts (the lease was lost, or the service stops); resolves when it has stopped. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ChannelDeps<Cfg> {
  config: Cfg;
  /** Core intake: every inbound envelope goes through here (dedupe, echo, case, urgency, SLA, acknowledgement). */
  ingest(env: InboundEnvelope): Promise<IngestOutcome>;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Where platforms reach this service (PUBLIC_URL), when it is set. */
  publicUrl: string | null;
  /** Largest request body the HTTP server accepts, in bytes. */
  bodyLimit: number;
  state: ChannelState;
  /**
   * A conversation read back in commit order (the in-app read-back route, the web widget). `identityAccount`: the
   * platform account the reader signed for, so inbound authors are named by their identity in that account only.
   */
  readback(conversationKey: string, after: number, limit: number, opts?: { identityAccount?: string }): Promise<ReadbackMessage[]>;
  /**
   * A conversation that moved on the platform (a Telegram group upgraded to a supergroup): its open cases, queued
   * deliveries, link and identities follow. Returns how many open cases moved.
   */
  moveConversation(from: { conversationKey: string; linkKey?: string }, to: { conversationKey: string; linkKey?: string; address: unknown }): Promise<number>;
  /**
   * The conversation a platform message we stored (ours or the client's), or a case of this channel, belongs to: how
   * an email reply finds its thread by In-Reply-To / References, or by the case token in its subject.
   */
  conversationOf(ref: { platformIds?: { scope: string; externalId: string }[]; caseNumber?: number }): Promise<{ conversationKey: string; address: unknown; caseNumber: number | null; clientId: string | null } | null>;
  /** Tells the support lead about something that can't go on a case (a mail that can't be parsed); never drops it. */
  alertLead(text: string): Promise<void>;
  /**
   * What composition shares, by name, with a channel that builds on it rather than starting its own (Slack Connect
   * answers clients through the manager console's bolt app and Web API client: `shared.slack`). Absent when the
   * thing it names is not configured.
   */
  shared?: Readonly<Record<string, unknown>>;
}

export interface ChannelInstance {
  /** Outbound: what the outbox drainer sends through. */
  adapter: ChannelAdapter;
  /**
   * Inbound routes as an encapsulated fastify plugin: its own body parser (raw bodies for signature checks) and its
   * own verification, before anything is parsed or stored. Mark webhook routes `config: { verifiedWebhook: true }`
   * (the app-wide input guards then leave their bodies to the route, which checks them with assertStorable()).
   */
  routes?(app: FastifyInstance): Promise<void>;
  /** Single-instance background work (long polling, IMAP IDLE). */
  receivers?: Receiver[];
  /** Runs once at start, after the HTTP server listens (registering a webhook, setting bot commands). */
  startup?(): Promise<void>;
  /** Stops anything create() started that isn't a receiver (SDK clients, sockets). */
  close?(): Promise<void>;
  /** One line for the start-up banner, e.g. "telegram (webhook at https://…/webhooks/telegram)". */
  describe?(): string;
  /** Where a client redeems a link code on this platform (Telegram: https://t.me/<bot>?start=<code>). */
  linkUrl?(code: string): string;
  /** The form this channel's link keys are compared in (email: lower case), applied to keys given to the admin API. */
  normalizeLinkKey?(key: string): string;
}

export interface ChannelModule<Cfg = unknown> {
  name: ChannelKind;
  env: ChannelEnv<Cfg>;
  capabilities: ChannelCapabilities;
  create(deps: ChannelDeps<Cfg>): ChannelInstance | Promise<ChannelInstance>;
}

/** Identity helper so each adapter's `index.ts` gets its config type inferred: `export default defineChannel({...})`. */
export function defineChannel<Cfg>(m: ChannelModule<Cfg>): ChannelModule<Cfg> {
  return m;
}
