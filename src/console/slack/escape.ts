// Slack reads `&`, `<` and `>` as markup in mrkdwn text objects and in a message's top-level `text`: `<!channel>`
// notifies everyone in the channel, `<https://x|label>` is a link showing any label. Whatever a client controls
// (client and contact names, subjects, message and feature texts, file names and URLs) is escaped before it is
// put there. plain_text objects are rendered literally by Slack, so they keep the raw text.
// Escaping happens here, at the Slack edge: core's texts stay plain for every other console and channel.

/** Text that Slack shows as written, never as a mention, link or date. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link whose address and label come from a client: neither can end the link early or start another. */
export function mrkdwnLink(url: string, label: string): string {
  return `<${escapeMrkdwn(url).replace(/\|/g, '%7C')}|${escapeMrkdwn(label)}>`;
}
