// The Bot Framework channel's environment. Every endpoint the SDK talks to can be set, for sovereign clouds and for
// tests; the defaults are the public cloud's. An empty MICROSOFT_APP_ID turns the SDK's authentication off entirely
// (any request accepted, replies sent without a token), so that state has to be asked for by name.
import fs from 'node:fs';
import { z } from 'zod';
import type { ChannelEnv } from '../../src/channels/module';

export const PUBLIC_CLOUD = {
  openIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
  tokenIssuer: 'https://api.botframework.com',
  loginHost: 'https://login.microsoftonline.com',
  multiTenantLoginTenant: 'botframework.com',
  oauthScope: 'https://api.botframework.com',
} as const;

interface Endpoints {
  /** Where channel tokens' signing keys are published (OpenID metadata with a jwks_uri). */
  openIdMetadataUrl: string;
  /** The only issuer accepted on inbound channel tokens. */
  tokenIssuer: string;
  /** The authority the bot gets its own outbound token from (MSAL). */
  loginUrl: string;
  /** The resource the outbound token is for (`<scope>/.default`). */
  oauthScope: string;
}

export type BotFrameworkConfig = Endpoints & {
  /**
   * CA certificate(s), PEM, the login host's certificate must chain to instead of the public CAs, for that host only
   * (BOTFRAMEWORK_LOGIN_CA: the PEM itself or a path to it): a private cloud's, a TLS-inspecting proxy's, or the
   * tests' self-signed login host.
   */
  loginCa?: string;
} &
  (
    | { authentication: 'jwt'; appId: string; appPassword: string; appType: 'MultiTenant' | 'SingleTenant'; tenantId: string | null }
    | { authentication: 'disabled'; appId: null; appPassword: null; appType: null; tenantId: null }
  );

const REQUIRED = ['MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD'] as const;
const OPTIONAL = [
  'MICROSOFT_APP_TYPE',
  'MICROSOFT_APP_TENANT_ID',
  'BOTFRAMEWORK_OPENID_METADATA_URL',
  'BOTFRAMEWORK_TOKEN_ISSUER',
  'BOTFRAMEWORK_LOGIN_URL',
  'BOTFRAMEWORK_OAUTH_SCOPE',
  'BOTFRAMEWORK_LOGIN_CA',
] as const;
// The explicit local-test switch turns the channel on by itself (no app id needed, and none allowed with it).
const ENABLED_BY = ['BOTFRAMEWORK_ALLOW_UNAUTHENTICATED'] as const;

// Empty strings count as unset, as in src/config: `FOO=` in a .env file means "not configured".
const opt = <T extends z.ZodTypeAny>(t: T) => z.preprocess((v) => (v === '' ? undefined : v), t.optional());
const httpUrl = (name: string) =>
  opt(z.string().refine((v) => /^https?:\/\/[^/]/i.test(v) && URL.canParse(v), `${name} must be an http(s) URL`));

const raw = z.object({
  MICROSOFT_APP_ID: opt(z.string().trim().min(1)),
  MICROSOFT_APP_PASSWORD: opt(z.string().min(1)),
  MICROSOFT_APP_TYPE: opt(
    z.enum(['MultiTenant', 'SingleTenant'], { error: 'MICROSOFT_APP_TYPE must be MultiTenant or SingleTenant' }),
  ),
  MICROSOFT_APP_TENANT_ID: opt(z.string().trim().min(1)),
  BOTFRAMEWORK_OPENID_METADATA_URL: httpUrl('BOTFRAMEWORK_OPENID_METADATA_URL'),
  BOTFRAMEWORK_TOKEN_ISSUER: opt(z.string().trim().min(1)),
  // MSAL accepts https authorities only.
  BOTFRAMEWORK_LOGIN_URL: opt(
    z.string().refine((v) => /^https:\/\/[^/]/i.test(v) && URL.canParse(v), 'BOTFRAMEWORK_LOGIN_URL must be an https URL'),
  ),
  BOTFRAMEWORK_OAUTH_SCOPE: opt(z.string().trim().min(1)),
  BOTFRAMEWORK_LOGIN_CA: opt(
    z.string().refine(
      (v) => v.trimStart().startsWith('-----BEGIN CERTIFICATE-----') || readablePem(v),
      'BOTFRAMEWORK_LOGIN_CA must be a PEM certificate or the path of a readable PEM file',
    ),
  ),
  BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: opt(
    z.enum(['true', 'false'], { error: 'BOTFRAMEWORK_ALLOW_UNAUTHENTICATED must be true or false' }),
  ),
});

const schema = raw
  .superRefine((e, ctx) => {
    // Issues carry the variable as their path; src/channels/enable.ts prints "<path>: <message>".
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const allow = e.BOTFRAMEWORK_ALLOW_UNAUTHENTICATED === 'true';
    if (!e.MICROSOFT_APP_ID) {
      if (e.MICROSOFT_APP_PASSWORD) problem('MICROSOFT_APP_ID', 'missing while MICROSOFT_APP_PASSWORD is set');
      else if (!allow)
        problem(
          'MICROSOFT_APP_ID',
          'empty, which turns Bot Framework authentication off (any request accepted, replies sent without a token); ' +
            'set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD, or, for local testing only, BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true',
        );
      return;
    }
    if (allow) problem('BOTFRAMEWORK_ALLOW_UNAUTHENTICATED', 'true only applies without MICROSOFT_APP_ID; unset one of them');
    if (!e.MICROSOFT_APP_PASSWORD) problem('MICROSOFT_APP_PASSWORD', 'missing while MICROSOFT_APP_ID is set');
    if (e.MICROSOFT_APP_TYPE === 'SingleTenant' && !e.MICROSOFT_APP_TENANT_ID)
      problem('MICROSOFT_APP_TENANT_ID', 'required when MICROSOFT_APP_TYPE=SingleTenant');
  })
  .transform((e): BotFrameworkConfig => {
    const appType = e.MICROSOFT_APP_TYPE ?? 'MultiTenant';
    // A SingleTenant bot gets its token from its own tenant; a MultiTenant one from the botframework.com tenant.
    const tenant = appType === 'SingleTenant' ? e.MICROSOFT_APP_TENANT_ID : PUBLIC_CLOUD.multiTenantLoginTenant;
    const loginCa = e.BOTFRAMEWORK_LOGIN_CA ? pemOf(e.BOTFRAMEWORK_LOGIN_CA) : undefined;
    const endpoints: Endpoints & { loginCa?: string } = {
      ...(loginCa ? { loginCa } : {}),
      openIdMetadataUrl: e.BOTFRAMEWORK_OPENID_METADATA_URL ?? PUBLIC_CLOUD.openIdMetadataUrl,
      tokenIssuer: e.BOTFRAMEWORK_TOKEN_ISSUER ?? PUBLIC_CLOUD.tokenIssuer,
      loginUrl: (e.BOTFRAMEWORK_LOGIN_URL ?? `${PUBLIC_CLOUD.loginHost}/${tenant}`).replace(/\/+$/, ''),
      oauthScope: e.BOTFRAMEWORK_OAUTH_SCOPE ?? PUBLIC_CLOUD.oauthScope,
    };
    if (!e.MICROSOFT_APP_ID) return { ...endpoints, authentication: 'disabled', appId: null, appPassword: null, appType: null, tenantId: null };
    return {
      ...endpoints,
      authentication: 'jwt',
      appId: e.MICROSOFT_APP_ID,
      appPassword: e.MICROSOFT_APP_PASSWORD!,
      appType,
      tenantId: e.MICROSOFT_APP_TENANT_ID ?? null,
    };
  });

/** For the channel module's `env` (src/channels/module.ts). */
export const botframeworkEnv: ChannelEnv<BotFrameworkConfig> = {
  required: REQUIRED,
  optional: OPTIONAL,
  enabledBy: ENABLED_BY,
  schema,
};

function readablePem(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').includes('-----BEGIN CERTIFICATE-----');
  } catch {
    return false;
  }
}

const pemOf = (v: string) => (v.trimStart().startsWith('-----BEGIN') ? v : fs.readFileSync(v, 'utf8'));

/** Parses the environment or throws one error listing every problem, each naming its variable. */
export function loadBotFrameworkConfig(env: Record<string, string | undefined>): BotFrameworkConfig {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'botframework'}: ${i.message}`);
  throw new Error(`Bot Framework configuration is not valid:\n  - ${lines.join('\n  - ')}`);
}

/** The start-up banner's line; unauthenticated mode is announced, never silent. */
export function describeBotFramework(cfg: BotFrameworkConfig, publicUrl: string | null): string {
  const at = publicUrl ? ` at ${publicUrl.replace(/\/+$/, '')}/webhooks/botframework` : '';
  if (cfg.authentication === 'disabled')
    return `botframework${at}: AUTHENTICATION DISABLED (BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true, no MICROSOFT_APP_ID): any request is accepted — local testing only`;
  return `botframework${at} (${cfg.appType}${cfg.tenantId ? ` tenant ${cfg.tenantId}` : ''}, tokens from ${cfg.tokenIssuer})`;
}
