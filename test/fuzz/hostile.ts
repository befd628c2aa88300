// Arbitraries for hostile input: what a fuzzer, a careless integrator or an attacker sends.
import fc from 'fast-check';

const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];

/** Strings that have broken services before: NUL, lone surrogates, huge, numeric edge cases, dates out of range. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '', ' ', '\u0000', 'a\u0000b', 'x\ud800', '\udfffy', '😀', '%00', '../../etc/passwd', 'constructor', '__proto__', 'null',
      '-1', '0', '1e309', '1e20', '2147483648', '1.5', 'NaN', 'Infinity', '9999-12-31T23:59:59-14:00', '0000-01-01', '+275760-09-13',
      '3000000d', '99999999999d', 'tomorrow 25:99', '<!channel>', '<https://evil.test|click>', 'javascript:alert(1)', 'open,resolved',
      'critical', 'Europe/Kyiv', 'Mars/Olympus', '#1001', '1001', '00000000-0000-0000-0000-000000000000',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...LONE), fc.string({ maxLength: 6 })).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 100_000).map((n) => 'x'.repeat(n)) },
);

const hostileNumber = fc.oneof(
  fc.constantFrom(0, -1, 1.5, -0.5, 2147483648, 1e10, 1e20, Number.MAX_SAFE_INTEGER + 2, 1e300),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A JSON value: a hostile leaf, or small structures of them (two levels at most: the raw fragments go deeper). */
const leaf = fc.oneof(hostileText, hostileNumber, fc.boolean(), fc.constant(null));
const shortKey = hostileText.filter((k) => k.length < 40);
const level = fc.oneof({ weight: 4, arbitrary: leaf }, fc.array(leaf, { maxLength: 3 }), fc.dictionary(shortKey, leaf, { maxKeys: 3 }));
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  fc.array(level, { maxLength: 3 }),
  fc.dictionary(shortKey, level, { maxKeys: 3 }),
);

/** Raw JSON fragments JSON.stringify can't produce: numbers beyond double range, nesting deeper than any stack. */
const RAW = ['1e309', '-1e309', '123456789012345678901234567890', `${'['.repeat(5000)}${']'.repeat(5000)}`, `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`];
const PLACEHOLDER = '\u0001RAW\u0001';

export interface Mutation {
  text: string;
}

type Path = (string | number)[];

function paths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function setAt(root: unknown, path: Path, value: unknown, remove = false): unknown {
  if (!path.length) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** One or two mutations of a valid body: a field replaced by a hostile value or raw token, removed, or a key added. */
export function mutateJson(sample: unknown): fc.Arbitrary<Mutation> {
  const all = paths(sample);
  const one = fc.tuple(fc.constantFrom(...all), fc.nat({ max: 9 }), hostileValue, fc.constantFrom(...RAW), hostileText).map(([path, kind, value, raw, key]) => {
    return (body: unknown): { body: unknown; raw?: string } => {
      if (kind < 5) return { body: setAt(body, path, value) };
      if (kind < 7) return { body: setAt(body, path, PLACEHOLDER), raw };
      if (kind < 8 && path.length) return { body: setAt(body, path, undefined, true) };
      const target = path.length ? path : [];
      let k = key.slice(0, 40) || 'extra';
      // Into an array a numeric key is an index: "2147483648" would make a sparse array of two billion nulls, which no
      // JSON encoder can write (the generator's own failure, not the service's). There it appends instead.
      if (/^\d+$/.test(k) && Array.isArray(target.reduce<any>((v, p) => v?.[p], body))) k = String(target.reduce<any>((v, p) => v?.[p], body).length);
      return { body: setAt(body, [...target, k], value) };
    };
  });
  return fc.array(one, { minLength: 1, maxLength: 2 }).map((ops) => {
    let body = sample;
    let raw: string | undefined;
    for (const op of ops) {
      try {
        const r = op(body);
        body = r.body;
        raw = r.raw ?? raw;
      } catch {
        // The path vanished under an earlier mutation; keep what we have.
      }
    }
    const text = JSON.stringify(body) ?? 'null';
    return { text: raw ? text.replace(JSON.stringify(PLACEHOLDER), raw) : text };
  });
}

/** Percent-encodes a path or query value; lone surrogates become the invalid UTF-8 bytes a raw client would send. */
export function pathSegment(v: string): string {
  let out = '';
  for (const ch of v) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) out += `%ED%${(0xa0 + ((c >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 + (c & 0x3f)).toString(16).toUpperCase()}`;
    else out += encodeURIComponent(ch);
  }
  return out;
}

// ---- the transport: bytes that are not UTF-8, a body in UTF-16, a content type that lies, hostile headers ----------

export type Transport =
  | { kind: 'plain' }
  /** These bytes put into the body: no UTF-8 decoder accepts them. */
  | { kind: 'invalid-utf8'; bytes: number[]; at: number }
  /** The body in UTF-16LE with a byte-order mark, and `charset=utf-16`. */
  | { kind: 'utf16' }
  /** The body as is, under another content type (or none). */
  | { kind: 'content-type'; contentType: string | undefined };

// A lone continuation byte, 0xFF, an overlong "/", a UTF-16 surrogate encoded as UTF-8, a code point past U+10FFFF,
// sequences cut short.
const INVALID_UTF8 = [[0x80], [0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];
const CONTENT_TYPES = [
  undefined, '', 'text/plain', 'application/xml', 'multipart/form-data; boundary=----fuzz', 'application/json; charset=utf-16',
  'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'application/octet-stream', '*/*', 'application/vnd.api+json',
  'APPLICATION/JSON', 'application/json;;;', 'application/json; charset="', 'text/html; charset=utf-8', 'image/png', 'application/json\u00e9',
];

export const hostileTransport: fc.Arbitrary<Transport> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Transport>({ kind: 'plain' }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.double({ min: 0, max: 1, noNaN: true })).map(([bytes, at]): Transport => ({ kind: 'invalid-utf8', bytes, at })) },
  { weight: 1, arbitrary: fc.constant<Transport>({ kind: 'utf16' }) },
  { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES).map((contentType): Transport => ({ kind: 'content-type', contentType })) },
);

const BIG = 16 * 1024;
const HARMLESS = ['x-big', 'cookie', 'user-agent', 'accept-language', 'x-request-id', 'x-forwarded-for', 'referer', 'accept'];
// Headers that carry credentials or are read by a route: a huge or odd value there must be a 401 or a 400, never a 5xx.
const READ = [
  'authorization', 'x-switchboard-signature', 'x-switchboard-timestamp', 'x-telegram-bot-api-secret-token', 'x-slack-signature',
  'x-slack-request-timestamp', 'x-slack-retry-num', 'x-slack-retry-reason', 'if-none-match', 'last-event-id',
];

/** Extra request headers: usually none; else hundreds of them, or one of 16 KB, or an odd value where a route looks. */
export const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 14, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 1000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-fuzz-${i}`, `v${i}`]))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HARMLESS), fc.constantFrom('a', '1.2.3.4, ', ';', '\t')).map(([h, unit]) => ({ [h]: unit.repeat(Math.ceil(BIG / unit.length)).slice(0, BIG) })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...READ), fc.oneof(fc.constantFrom('9'.repeat(BIG), 'v2='.padEnd(BIG, 'f'), `Bearer ${'A'.repeat(BIG)}`, '-1', '1e309', 'NaN', ' ', 'v0=', 'Bearer a.b.c'), fc.string({ unit: 'binary-ascii', maxLength: 40 }))).map(([h, v]) => ({ [h]: v.replace(/[\r\n\0]/g, '') })) },
);
