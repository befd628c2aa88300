// One raw mail → core: parse, loop signals, thread, envelope, ingest. The same path serves the IMAP receiver, the
// parity harness and the ingest benchmark. Logs carry ids, domains and outcomes, never bodies or local parts.
import type { ChannelDeps } from '../../src/channels/module';
import type { IngestOutcome } from '../../src/core/intake';
import type { InboundEnvelope } from '../../src/core/ports';
import { domainOf } from './address';
import type { EmailConfig } from './config';
import type { FileLinks, MailRef } from './files';
import { automationOf } from './loops';
import { toEnvelope } from './normalize';
import { parseMail, UnparseableMail } from './parse';
import { findThread } from './thread';

export type Processed =
  | { kind: 'ingested'; outcome: IngestOutcome; messageId: string; via: string; automated: string | null }
  | { kind: 'unparseable'; reason: string };

export interface InboundDeps {
  cfg: EmailConfig;
  scope: string;
  ours: ReadonlySet<string>;
  links: FileLinks;
  channel: Pick<ChannelDeps<unknown>, 'ingest' | 'conversationOf' | 'clock' | 'log' | 'metrics'>;
}

export async function processMail(
  d: InboundDeps, raw: Buffer, at: Omit<MailRef, 'messageId'> & { size?: number; headersOnly?: boolean }, cursor?: InboundEnvelope['cursor'],
): Promise<Processed> {
  const started = process.hrtime.bigint();
  let env: InboundEnvelope;
  let via: string;
  let automated: string | null;
  try {
    const p = await parseMail(raw, { headersOnly: at.headersOnly });
    if (!p.from) throw new UnparseableMail('it has no sender address (From)');
    const auto = automationOf(p, d.ours);
    const thread = await findThread(p, d.scope, d.ours, d.channel.conversationOf);
    env = toEnvelope(p, thread, auto, { ...at, messageId: p.messageId }, {
      scope: d.scope, ours: d.ours, attachmentLimitBytes: d.cfg.attachmentLimitBytes, maxMessageBytes: d.cfg.maxMessageBytes, links: await d.links.signer(), now: d.channel.clock.now(),
    }, { cursor, size: at.size });
    via = thread.via;
    automated = auto.reason;
  } catch (err) {
    if (err instanceof UnparseableMail) return { kind: 'unparseable', reason: err.message };
    throw err;
  }
  const outcome = await d.channel.ingest(env);
  d.channel.metrics.inbound.inc({ channel: 'email', outcome: outcome.status });
  d.channel.metrics.ingestSeconds.observe({ channel: 'email' }, Number(process.hrtime.bigint() - started) / 1e9);
  d.channel.log.info(
    { channel: 'email', uid: at.uid, senderDomain: domainOf(env.sender.externalId), thread: via, automated, outcome: outcome.status, caseNumber: 'caseNumber' in outcome ? outcome.caseNumber : undefined },
    'email: mail ingested',
  );
  return { kind: 'ingested', outcome, messageId: env.deliveryId, via, automated };
}
