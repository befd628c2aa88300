// A local stand-in for everything the Bot Framework channel talks to, on loopback with ports chosen by the OS:
//  - the channel's OpenID metadata and JWKS (keys carry `endorsements`), and a signer for channel tokens, so tests
//    make valid and broken tokens;
//  - the login host the bot gets its own outbound token from (OpenID configuration + client-credentials token
//    endpoint). MSAL refuses `http:` authorities, so this one listens on HTTPS with a self-signed certificate made
//    here; `loginCa` is that certificate, for the credentials factory to trust (MSAL's customAgentOptions.ca);
//  - the Bot Connector (`serviceUrl`) at /v3/conversations/..., recording each activity with its Authorization
//    header, with scriptable failures (429 + Retry-After, 403, 404, 500).
import crypto, { type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeKey {
  kid: string;
  endorsements: string[];
}

export interface TokenOptions {
  aud?: string;
  iss?: string;
  /** Unix seconds; default now + 1 h. */
  exp?: number;
  /** Unix seconds; default now - 10 s. `null` leaves the claim out. */
  nbf?: number | null;
  /** Default: the fake connector's own service URL. `null` leaves the claim out. */
  serviceurl?: string | null;
  /** The kid put in the header. An unpublished kid makes an "unknown key" token. */
  kid?: string;
  /** Picks the published key whose endorsements are exactly these (declared in startFakeBotFramework's `keys`). */
  endorsedChannels?: string[];
  /** `unpublished`: sign with a private key that is not in the JWKS, under whatever kid is in the header. */
  signWith?: 'published' | 'unpublished';
  alg?: 'RS256' | 'RS384' | 'RS512';
  /** More claims (`ver`, `appid`, `azp`, ...). */
  extra?: Record<string, unknown>;
}

export interface RecordedActivity {
  /** The id the connector answered with (what a later replyToId or a card press refers to). */
  id: string;
  method: string;
  path: string;
  conversationId: string;
  replyToId: string | null;
  authorization: string | null;
  body: Record<string, unknown>;
}

export interface RecordedTokenRequest {
  path: string;
  form: Record<string, string>;
}

export interface ScriptedFailure {
  status: number;
  /** Sent as the Retry-After header (seconds, or an HTTP date). */
  retryAfter?: string;
  body?: unknown;
  /** Destroy the socket instead of answering (a network failure). */
  drop?: boolean;
}

export interface FakeBotFramework {
  /** The connector's base, with a trailing slash, as channels put it in `activity.serviceUrl`. */
  serviceUrl: string;
  /** BOTFRAMEWORK_OPENID_METADATA_URL for channel tokens. */
  openIdMetadataUrl: string;
  /** BOTFRAMEWORK_TOKEN_ISSUER the signed tokens carry by default. */
  issuer: string;
  /** BOTFRAMEWORK_LOGIN_URL (https, self-signed; trust `loginCa`). */
  loginUrl: string;
  loginCa: string;
  /** The channel's settings pointing every endpoint the SDK talks to at this fake. */
  env(appId: string, password: string): Record<string, string>;
  keys: FakeKey[];
  token(opts?: TokenOptions): string;
  /** Activities the connector received, in order. */
  activities: RecordedActivity[];
  /** Client-credentials requests the login host received. */
  tokenRequests: RecordedTokenRequest[];
  /** Every request any listener received, as "METHOD path" (to show what was and wasn't fetched). */
  requests: string[];
  /** The next connector requests answer these, in order, instead of 200. */
  failConnector(...failures: ScriptedFailure[]): void;
  /** The next token requests answer these, in order. */
  failLogin(...failures: ScriptedFailure[]): void;
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_ENDORSEMENTS = ['msteams', 'webchat', 'directline', 'emulator'];

export async function startFakeBotFramework(opts: { appId?: string; keys?: FakeKey[] } = {}): Promise<FakeBotFramework> {
  const declared = opts.keys ?? [
    { kid: 'fake-key-1', endorsements: DEFAULT_ENDORSEMENTS },
    { kid: 'fake-key-teams', endorsements: ['msteams'] },
  ];
  const published = declared.map((k) => ({ ...k, pair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) }));
  const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

  const activities: RecordedActivity[] = [];
  const tokenRequests: RecordedTokenRequest[] = [];
  const requests: string[] = [];
  const connectorFailures: ScriptedFailure[] = [];
  const loginFailures: ScriptedFailure[] = [];
  let activitySeq = 0;
  let tokenSeq = 0;

  const api = http.createServer((req, res) => {
    void readBody(req).then((raw) => {
      requests.push(`${req.method} ${req.url}`);
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/v1/.well-known/openidconfiguration') {
        return json(res, 200, {
          issuer: apiBase.replace(/\/$/, ''),
          authorization_endpoint: `${apiBase}v1/authorize`,
          jwks_uri: `${apiBase}v1/.well-known/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
        });
      }
      if (req.method === 'GET' && url.pathname === '/v1/.well-known/keys') {
        return json(res, 200, {
          keys: published.map((k) => ({
            ...(k.pair.publicKey.export({ format: 'jwk' }) as Record<string, string>),
            kid: k.kid,
            use: 'sig',
            endorsements: k.endorsements,
          })),
        });
      }
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
      if (m && (req.method === 'POST' || req.method === 'PUT')) {
        const failure = connectorFailures.shift();
        if (failure) return fail(res, failure);
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          return json(res, 400, { error: { code: 'BadSyntax', message: 'not JSON' } });
        }
        const id = req.method === 'PUT' ? decodeURIComponent(m[2] ?? '') : `activity-${++activitySeq}`;
        activities.push({
          id,
          method: req.method,
          path: url.pathname,
          conversationId: decodeURIComponent(m[1]),
          replyToId: m[2] ? decodeURIComponent(m[2]) : null,
          authorization: req.headers.authorization ?? null,
          body,
        });
        return json(res, req.method === 'POST' ? 201 : 200, { id });
      }
      json(res, 404, { error: { code: 'NotFound', message: `${req.method} ${url.pathname}` } });
    });
  });

  const tls = selfSignedCertificate('127.0.0.1');
  const login = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void readBody(req).then((raw) => {
      requests.push(`${req.method} ${req.url}`);
      const url = new URL(req.url ?? '/', 'https://x');
      const conf = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (req.method === 'GET' && conf) {
        const tenantBase = `${loginBase}/${conf[1]}`;
        return json(res, 200, {
          token_endpoint: `${tenantBase}/oauth2/v2.0/token`,
          authorization_endpoint: `${tenantBase}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${tenantBase}/oauth2/v2.0/logout`,
          issuer: `${tenantBase}/v2.0`,
          jwks_uri: `${tenantBase}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'token'],
          token_endpoint_auth_methods_supported: ['client_secret_post'],
        });
      }
      if (req.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname)) {
        tokenRequests.push({ path: url.pathname, form: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) });
        const failure = loginFailures.shift();
        if (failure) return fail(res, failure);
        return json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: `fake-bot-token-${++tokenSeq}` });
      }
      json(res, 404, { error: 'not_found', error_description: `${req.method} ${url.pathname}` });
    });
  });

  await Promise.all([listen(api), listen(login)]);
  const apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`;
  const loginBase = `https://127.0.0.1:${(login.address() as AddressInfo).port}`;
  const issuer = apiBase.replace(/\/$/, '');

  function token(o: TokenOptions = {}): string {
    const now = Math.floor(Date.now() / 1000);
    let key = published[0];
    if (o.endorsedChannels) {
      const wanted = [...o.endorsedChannels].sort().join(',');
      const found = published.find((k) => [...k.endorsements].sort().join(',') === wanted);
      if (!found) throw new Error(`no published key endorses exactly [${wanted}]: declare it in startFakeBotFramework({ keys })`);
      key = found;
    }
    const header = { alg: o.alg ?? 'RS256', typ: 'JWT', kid: o.kid ?? key.kid, x5t: o.kid ?? key.kid };
    const payload: Record<string, unknown> = {
      iss: o.iss ?? issuer,
      aud: o.aud ?? opts.appId ?? 'app-id',
      exp: o.exp ?? now + 3600,
      ...(o.nbf === null ? {} : { nbf: o.nbf ?? now - 10 }),
      ...(o.serviceurl === null ? {} : { serviceurl: o.serviceurl ?? apiBase }),
      ...o.extra,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const privateKey: KeyObject = o.signWith === 'unpublished' ? stranger.privateKey : key.pair.privateKey;
    const digest = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }[header.alg];
    return `${signingInput}.${b64url(crypto.sign(digest, Buffer.from(signingInput), privateKey))}`;
  }

  return {
    serviceUrl: apiBase,
    openIdMetadataUrl: `${apiBase}v1/.well-known/openidconfiguration`,
    issuer,
    loginUrl: `${loginBase}/botframework.com`,
    loginCa: tls.cert,
    env: (appId, password) => ({
      MICROSOFT_APP_ID: appId, MICROSOFT_APP_PASSWORD: password, BOTFRAMEWORK_OPENID_METADATA_URL: `${apiBase}v1/.well-known/openidconfiguration`,
      BOTFRAMEWORK_TOKEN_ISSUER: issuer, BOTFRAMEWORK_LOGIN_URL: `${loginBase}/botframework.com`, BOTFRAMEWORK_LOGIN_CA: tls.cert,
    }),
    keys: declared,
    token,
    activities,
    tokenRequests,
    requests,
    failConnector: (...f) => void connectorFailures.push(...f),
    failLogin: (...f) => void loginFailures.push(...f),
    reset() {
      activities.length = 0;
      tokenRequests.length = 0;
      requests.length = 0;
      connectorFailures.length = 0;
      loginFailures.length = 0;
    },
    close: () => Promise.all([stop(api), stop(login)]).then(() => undefined),
  };
}

function fail(res: http.ServerResponse, f: ScriptedFailure): void {
  if (f.drop) {
    res.socket?.destroy();
    return;
  }
  if (f.retryAfter !== undefined) res.setHeader('Retry-After', f.retryAfter);
  json(res, f.status, f.body ?? { error: { code: `Status${f.status}`, message: 'scripted failure' } });
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

// ---- a self-signed X.509 certificate, DER-encoded by hand: Node can parse certificates but not make them, and the
// tests should not depend on an openssl binary being installed ----------------------------------------------------

function selfSignedCertificate(ip: string): { key: string; cert: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(ip)))));
  const now = Date.now();
  const validity = seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 24 * 3600_000)));
  const san = seq(tlv(0x87, Buffer.from(ip.split('.').map(Number))), tlv(0x82, Buffer.from('localhost')));
  const extensions = tlv(
    0xa3,
    seq(
      seq(oid('2.5.29.17'), tlv(0x04, san)),
      seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff]))))),
    ),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([0x02]))),
    tlv(0x02, serialNumber()),
    sha256WithRsa,
    name,
    validity,
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const der = seq(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0x00]), signature])));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`,
  };
}

// DER wants the shortest positive INTEGER: no leading zero byte, top bit clear.
function serialNumber(): Buffer {
  const b = crypto.randomBytes(8);
  b[0] = (b[0] & 0x7f) || 0x01;
  return b;
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${s}Z`));
}
