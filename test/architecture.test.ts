// Core stays channel-blind (ARCHITECTURE §Principles 1): no platform SDK, no fastify, no drizzle, no database
// driver, and nothing from adapters/, http/ or db/. This reads the real import graph of src/core.
import fs from 'node:fs';
import path from 'node:path';

const CORE = path.resolve(__dirname, '../src/core');
// An allowlist: core may use Node's own modules and these pure libraries; anything else (a platform SDK, a web
// framework, an ORM, a driver, an HTTP client) belongs outside core.
const ALLOWED = [/^node:/, /^luxon$/, /^chrono-node$/];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

export function importsOf(source: string): string[] {
  const specs = new Set<string>();
  for (const re of [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm])
    for (const m of source.matchAll(re)) specs.add(m[1]);
  return [...specs];
}

test('no channel checks in core: adapters report facts, core applies policy (ARCHITECTURE principle 2)', () => {
  const offences = files(CORE).flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/channel\s*[!=]==?\s*'(inapp|telegram|slack|botframework|email)'/g)].map((m) => `${path.relative(CORE, file)}: ${m[0]}`),
  );
  expect(offences).toEqual([]);
});

test('the import scanner sees every import form', () => {
  const src = `import a from 'fastify';\nimport type { B } from "drizzle-orm";\nconst c = require('pg');\nconst d = await import('@slack/bolt');\nimport 'telegraf';`;
  expect(importsOf(src)).toEqual(expect.arrayContaining(['fastify', 'drizzle-orm', 'pg', '@slack/bolt', 'telegraf']));
});

test('src/core imports no platform SDK, web framework, ORM or driver, and nothing outside core', () => {
  const offences: string[] = [];
  const all = files(CORE);
  expect(all.length).toBeGreaterThan(10);
  for (const file of all) {
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      const rel = path.relative(CORE, file);
      if (spec.startsWith('.')) {
        const target = path.relative(CORE, path.resolve(path.dirname(file), spec));
        if (target.startsWith('..') || path.isAbsolute(target)) offences.push(`${rel} reaches outside core: ${spec}`);
      } else if (!ALLOWED.some((re) => re.test(spec))) offences.push(`${rel} imports ${spec}`);
    }
  }
  expect(offences).toEqual([]);
});

// ARCHITECTURE "Every channel is one folder under adapters/ plugged in at one registry": src/ reaches channels only
// through the registry (adapters/index.ts), and only from composition (the service, its configuration).
const SRC = path.resolve(__dirname, '../src');
const ADAPTERS = path.resolve(__dirname, '../adapters');
const COMPOSITION = ['services.ts', 'config/index.ts'];

test('nothing under src/ imports a specific adapter; composition reaches channels through the registry alone', () => {
  const offences: string[] = [];
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file);
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (target !== ADAPTERS && !target.startsWith(ADAPTERS + path.sep)) continue;
      if (target !== ADAPTERS) offences.push(`${rel} imports ${spec}`);
      else if (!COMPOSITION.includes(rel)) offences.push(`${rel} imports the channel registry (only ${COMPOSITION.join(', ')} may)`);
    }
  }
  expect(offences).toEqual([]);
});

test('every adapter folder is a channel module in the registry and ships a parity harness', () => {
  const registry = fs.readFileSync(path.join(ADAPTERS, 'index.ts'), 'utf8');
  const folders = fs.readdirSync(ADAPTERS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const registered = [...registry.matchAll(/^import (\w+) from '\.\/(\w+)';$/gm)].map((m) => m[2]);
  for (const name of registered) {
    expect({ name, harness: fs.existsSync(path.join(ADAPTERS, name, 'harness.ts')) }).toEqual({ name, harness: true });
    expect({ name, module: /export default defineChannel(<\w+>)?\(/.test(fs.readFileSync(path.join(ADAPTERS, name, 'index.ts'), 'utf8')) }).toEqual({ name, module: true });
  }
  // A folder that isn't registered yet is work in progress, but it may not be wired in any other way.
  expect(registered.every((n) => folders.includes(n))).toBe(true);
});
