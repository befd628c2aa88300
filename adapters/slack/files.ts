// Files shared in a Slack Connect channel come in as references: a link to the file in Slack (where the vendor's
// people can open it), never its bytes. Slack withholds a shared-channel file's details from the event
// (`"file_access": "check_file_info"`, api.slack.com/apis/channels-between-orgs): those are asked with files.info.
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/core/ports';
import type { Attachment } from '../../src/core/records';
import { describeError } from '../../src/core/errors';
import type { SlackFile } from './normalize';

const MAX_FILES = 20;

export async function attachmentsOf(
  client: WebClient, files: SlackFile[] | undefined, at: { channel: string; ts: string }, log: Logger,
): Promise<Attachment[]> {
  const out: Attachment[] = [];
  for (const f of (files ?? []).slice(0, MAX_FILES)) {
    const full = f.file_access === 'check_file_info' || !linkOf(f) ? await details(client, f, log) : f;
    // Without its details the file is still there: the link opens the message it came with.
    const url = linkOf(full) ?? `https://slack.com/app_redirect?channel=${at.channel}&message_ts=${at.ts}`;
    out.push({
      name: (full.name || full.title || full.id).slice(0, 500),
      url,
      ...(full.mimetype ? { mimeType: full.mimetype } : {}),
      ...(typeof full.size === 'number' && full.size >= 0 ? { size: full.size } : {}),
    });
  }
  return out;
}

/** The file's page in Slack (opens for anyone in the channel); the download URL needs our token. */
function linkOf(f: SlackFile): string | null {
  const url = f.permalink || f.url_private;
  return url && /^https?:\/\//i.test(url) ? url.slice(0, 2000) : null;
}

async function details(client: WebClient, f: SlackFile, log: Logger): Promise<SlackFile> {
  try {
    const r = await client.files.info({ file: f.id });
    return { ...f, ...(r.file as SlackFile | undefined) };
  } catch (err) {
    log.warn({ fileId: f.id, err: describeError(err) }, 'slack: could not read a shared file\'s details');
    return f;
  }
}
