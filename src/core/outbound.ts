// Capability fallbacks, applied the same way for every channel (SPEC §6): numbered choices instead of buttons,
// links instead of attachments, long text split at the platform's limit.
import type { ChannelCapabilities, OutboundMessage } from './ports';

export function composeFor(msg: OutboundMessage, caps: ChannelCapabilities): OutboundMessage[] {
  let text = msg.text;
  let choices = msg.choices;
  let attachments = msg.attachments;
  if (choices?.length && !caps.buttons) {
    // A choice's value is what the client would send (a text command), so the list says what to type.
    text += '\n' + choices.map((c, i) => `${i + 1}. ${c.label} — send ${c.value}`).join('\n');
    choices = undefined;
  }
  if (attachments?.length && !caps.attachments) {
    text += '\n' + attachments.map((a) => `${a.name}: ${a.url}`).join('\n');
    attachments = undefined;
  }
  const parts = splitText(text, caps.maxTextLength);
  return parts.map((part, i) => ({
    ...msg,
    text: part,
    choices: i === parts.length - 1 ? choices : undefined,
    attachments: i === parts.length - 1 ? attachments : undefined,
  }));
}

/** Splits at paragraph, then line, then word boundaries; never returns an empty part. */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = Math.max(window.lastIndexOf('\n\n'), window.lastIndexOf('\n'));
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut < max / 2) cut = max;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  // Leading whitespace can leave an empty first cut; platforms reject empty messages.
  const nonEmpty = parts.filter((p) => p.length > 0);
  return nonEmpty.length ? nonEmpty : [text.slice(0, max)];
}
