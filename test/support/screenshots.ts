// Where the browser tests put their screenshots. Every run takes them (a page that can't render fails there), but
// only SB_UPDATE_SCREENSHOTS=1 writes the README's copies: a plain test run leaves the working tree as it found it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function screenshotDir(): string {
  const dir = process.env.SB_UPDATE_SCREENSHOTS === '1'
    ? path.join(__dirname, '../../docs/screenshots')
    : path.join(os.tmpdir(), 'sb-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
