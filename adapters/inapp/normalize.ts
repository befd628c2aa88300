// The vendor's in-app chat delivery → a channel-neutral envelope. Validation errors name the field.
import { z } from 'zod';
import type { InboundEnvelope } from '../../src/core/ports';
import { URGENCIES } from '../../src/core/model';
import { isValidZone } from '../../src/core/zones';
import { conversationKey, type InappAddress } from './address';

/** Links a client sends end up clickable in Slack and in the vendor's app: web links only. */
const httpUrl = z.string().max(2000).url().refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

const attachment = z.object({
  name: z.string().min(1).max(500),
  url: httpUrl,
  mimeType: z.string().max(200).optional(),
  size: z.number().int().nonnegative().optional(),
});

export const inappMessage = z.object({
  id: z.string().min(1).max(200),
  account: z.object({ id: z.string().min(1).max(200), name: z.string().max(500).optional() }),
  user: z.object({
    id: z.string().min(1).max(200),
    name: z.string().max(500).optional(),
    email: z.string().email().max(500).optional(),
    timeZone: z.string().refine(isValidZone, 'unknown IANA time zone (e.g. Europe/Moscow)').optional(),
  }),
  text: z.string().max(100_000),
  urgency: z.enum(URGENCIES).optional(),
  attachments: z.array(attachment).max(50).optional(),
}).refine((m) => m.text.trim().length > 0 || (m.attachments?.length ?? 0) > 0, { message: 'text or attachments must be given', path: ['text'] });

export type InappMessage = z.infer<typeof inappMessage>;

export class InvalidPayload extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPayload';
  }
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

export function normalize(body: unknown, now: Date): InboundEnvelope {
  const parsed = inappMessage.safeParse(body);
  if (!parsed.success) throw new InvalidPayload(describeIssues(parsed.error));
  const m = parsed.data;
  const address: InappAddress = { accountId: m.account.id, userId: m.user.id };
  return {
    channel: 'inapp',
    account: m.account.id,
    deliveryId: m.id,
    // The vendor's message ids are unique per account only.
    deliveryScope: m.account.id,
    conversationKey: conversationKey(m.account.id),
    address,
    sender: { externalId: m.user.id, name: m.user.name ?? m.user.id, email: m.user.email ?? null, timeZone: m.user.timeZone ?? null, isSelf: false, isAutomated: false },
    accountName: m.account.name,
    clientLink: { inappAccountId: m.account.id },
    platformMessageIds: [{ scope: m.account.id, externalId: m.id }],
    text: m.text,
    attachments: m.attachments ?? [],
    urgency: m.urgency,
    receivedAt: now,
  };
}
