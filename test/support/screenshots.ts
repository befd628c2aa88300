// Where the browser tests put their screenshots. Every run saves them, under test-results/screenshots (ignored by
// git); SB_UPDATE_SCREENSHOTS=1 writes the README's committed copies in docs/screenshots instead, so a plain test run
// leaves the tracked files as it found them.
import fs from 'node:fs';
import path from 'node:path';

export function screenshotDir(): string {
  const dir = process.env.SB_UPDATE_SCREENSHOTS === '1'
    ? path.join(__dirname, '../../docs/screenshots')
    : path.join(__dirname, '../../test-results/screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
