// The Teams app package an admin uploads: a manifest Teams accepts (the documented required fields and their
// formats, the bot id from MICROSOFT_APP_ID, the three scopes), and two icons of the documented sizes, zipped at the
// root. The package is read back here with independent code (Node's own CRC-32 and inflate).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { teamsAppOptions, teamsAppPackage } from './manifest';

const APP_ID = '8f2b6d1e-5a4c-4e0b-9d3f-1c2a3b4c5d6e';
const ENV = { MICROSOFT_APP_ID: APP_ID, PUBLIC_URL: 'https://support.example.com/' };
const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const HTTPS = /^https:\/\//;

/** Entries of a zip, read from its central directory and inflated. */
function unzip(buf: Buffer): Map<string, Buffer> {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let p = buf.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(p)).toBe(0x02014b50);
    const [method, crc, size, nameLen, extraLen, commentLen, local] = [
      buf.readUInt16LE(p + 10), buf.readUInt32LE(p + 16), buf.readUInt32LE(p + 20), buf.readUInt16LE(p + 28), buf.readUInt16LE(p + 30), buf.readUInt16LE(p + 32), buf.readUInt32LE(p + 42),
    ];
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    expect(buf.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    const data = method === 8 ? zlib.inflateRawSync(raw) : raw;
    expect({ name, crc: zlib.crc32(data) }).toEqual({ name, crc });
    out.set(name, data);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** A PNG's size and RGBA pixels, every chunk's CRC checked. */
function readPng(buf: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let p = 8;
  let ihdr: Buffer | null = null;
  const idat: Buffer[] = [];
  for (;;) {
    const len = buf.readUInt32BE(p);
    const type = buf.toString('ascii', p + 4, p + 8);
    const data = buf.subarray(p + 8, p + 8 + len);
    expect(buf.readUInt32BE(p + 8 + len)).toBe(zlib.crc32(buf.subarray(p + 4, p + 8 + len)));
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    p += 12 + len;
    if (type === 'IEND') break;
  }
  const width = ihdr!.readUInt32BE(0);
  const height = ihdr!.readUInt32BE(4);
  expect([...ihdr!.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
  const rows = zlib.inflateSync(Buffer.concat(idat));
  expect(rows.length).toBe(height * (1 + width * 4));
  const pixels = Buffer.concat(Array.from({ length: height }, (_, y) => {
    expect(rows[y * (1 + width * 4)]).toBe(0);
    return rows.subarray(y * (1 + width * 4) + 1, (y + 1) * (1 + width * 4));
  }));
  return { width, height, pixels };
}

test('the manifest carries the bot id from MICROSOFT_APP_ID, the three scopes, and every field the schema requires', () => {
  const { manifest } = teamsAppPackage(teamsAppOptions(ENV));
  const m = JSON.parse(JSON.stringify(manifest));
  // Required at the top level of the app manifest schema (v1.x), with the documented formats.
  for (const field of ['manifestVersion', 'version', 'id', 'developer', 'name', 'description', 'icons', 'accentColor']) expect(m).toHaveProperty(field);
  expect(m.$schema).toBe('https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json');
  expect(m.manifestVersion).toBe('1.17');
  expect(m.version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(m.id).toMatch(GUID);
  expect(m.developer.name.length).toBeLessThanOrEqual(32);
  for (const u of ['websiteUrl', 'privacyUrl', 'termsOfUseUrl']) expect(m.developer[u]).toMatch(HTTPS);
  expect(m.name.short.length).toBeLessThanOrEqual(30);
  expect(m.name.full.length).toBeLessThanOrEqual(100);
  expect(m.description.short.length).toBeLessThanOrEqual(80);
  expect(m.description.full.length).toBeLessThanOrEqual(4000);
  expect(m.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
  expect(m.accentColor).toMatch(/^#[0-9a-fA-F]{6}$/);
  expect(m.validDomains).toEqual(['support.example.com']);

  expect(m.bots).toHaveLength(1);
  const [bot] = m.bots;
  expect(bot.botId).toBe(APP_ID);
  expect([...bot.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
  for (const list of bot.commandLists) {
    expect(list.commands.length).toBeLessThanOrEqual(10);
    for (const c of list.commands) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeLessThanOrEqual(128);
    }
  }
  expect(bot.commandLists[0].commands.map((c: { title: string }) => c.title)).toEqual(['status', 'urgency', 'call', 'feature']);
});

test('the package is a zip of manifest.json and the two icons at its root, 192×192 colour and 32×32 white-on-transparent outline', () => {
  const pkg = teamsAppPackage(teamsAppOptions({ ...ENV, TEAMS_ACCENT_COLOR: '#112233' }));
  const entries = unzip(pkg.zip);
  expect([...entries.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
  expect(JSON.parse(entries.get('manifest.json')!.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(pkg.manifest)));

  const color = readPng(entries.get('color.png')!);
  expect([color.width, color.height]).toEqual([192, 192]);
  expect([...color.pixels.subarray(0, 4)]).toEqual([0x11, 0x22, 0x33, 255]);
  expect(color.pixels.filter((_, i) => i % 4 === 3 && color.pixels[i] !== 255)).toHaveLength(0);

  const outline = readPng(entries.get('outline.png')!);
  expect([outline.width, outline.height]).toEqual([32, 32]);
  const kinds = new Set<string>();
  for (let i = 0; i < outline.pixels.length; i += 4) kinds.add([...outline.pixels.subarray(i, i + 4)].join(','));
  expect([...kinds].sort()).toEqual(['0,0,0,0', '255,255,255,255']);
  // The same configuration makes the same bytes.
  expect(teamsAppPackage(teamsAppOptions({ ...ENV, TEAMS_ACCENT_COLOR: '#112233' })).zip.equals(pkg.zip)).toBe(true);
});

test('what is missing or malformed in the configuration is named', () => {
  expect(() => teamsAppOptions({})).toThrow(/MICROSOFT_APP_ID is not set[\s\S]*PUBLIC_URL is not set/);
  expect(() => teamsAppOptions({ ...ENV, MICROSOFT_APP_ID: 'my-bot' })).toThrow(/MICROSOFT_APP_ID must be a GUID/);
  expect(() => teamsAppOptions({ ...ENV, PUBLIC_URL: 'http://support.example.com' })).toThrow(/PUBLIC_URL must be an https URL/);
  expect(() => teamsAppOptions({ ...ENV, TEAMS_APP_NAME: 'A support app name longer than thirty' })).toThrow(/TEAMS_APP_NAME/);
});

test('npm run teams:manifest writes the folder and the zip', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teams-app-'));
  try {
    const out = path.join(dir, 'pkg');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../../scripts/teams-manifest.ts'), out], {
      env: { ...process.env, ...ENV }, encoding: 'utf8',
    });
    expect(stdout).toContain(`${out}.zip`);
    expect(fs.readdirSync(out).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).bots[0].botId).toBe(APP_ID);
    expect([...unzip(fs.readFileSync(`${out}.zip`)).keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
