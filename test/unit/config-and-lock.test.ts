// Start-up guards: a partial channel configuration stops start-up naming what is missing, and a second process on
// one embedded data dir is refused (PGlite has no lock of its own and two processes lost writes silently).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { DataDirLockedError, lockDataDir } from '../../src/db/dir-lock';

describe('configuration', () => {
  test('defaults: port 3000, ./data, 1 MiB body limit, no channels', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, DATA_DIR: './data', BODY_LIMIT_BYTES: 1048576, channels: [] });
  });

  test('a channel is enabled when all its credentials are present', () => {
    const c = loadConfig({ INAPP_SECRET: 'x'.repeat(20), SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'y'.repeat(20) });
    expect(c.channels).toEqual(['inapp', 'slack']);
  });

  test('a partial configuration names what is missing', () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/slack: SLACK_BOT_TOKEN set but SLACK_SIGNING_SECRET missing/);
    expect(() => loadConfig({ TELEGRAM_WEBHOOK_SECRET: 's' })).toThrow(/telegram: .* TELEGRAM_BOT_TOKEN missing/);
    expect(() => loadConfig({ INAPP_CALLBACK_URL: 'http://127.0.0.1:9/cb' })).toThrow(/INAPP_SECRET missing/);
  });

  test('bad values are reported together, by name', () => {
    try {
      loadConfig({ PORT: 'eighty', ADMIN_TOKEN: 'short', DATABASE_URL: 'not a url' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/PORT/);
      expect(msg).toMatch(/ADMIN_TOKEN must be at least 16 characters/);
      expect(msg).toMatch(/DATABASE_URL/);
    }
  });
});

describe('embedded data dir lock', () => {
  test('a second holder is refused with a clear message, and can take the dir once it is released', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-lock-'));
    try {
      const first = await lockDataDir(dir);
      await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(lockDataDir(dir)).rejects.toThrow(/in use by another Switchboard process/);
      await first.release();
      const again = await lockDataDir(dir);
      await again.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
