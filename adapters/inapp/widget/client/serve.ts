// The script as served: compressed once, with an ETag so browsers revalidate instead of downloading it again.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { WIDGET_JS } from './bundle';

export interface WidgetScript {
  source: Buffer;
  gzip: Buffer;
  etag: string;
}

let cached: WidgetScript | null = null;

export function widgetScript(): WidgetScript {
  if (!cached) {
    const source = Buffer.from(WIDGET_JS, 'utf8');
    cached = { source, gzip: gzipSync(source, { level: 9 }), etag: `"${createHash('sha256').update(source).digest('base64url').slice(0, 22)}"` };
  }
  return cached;
}
