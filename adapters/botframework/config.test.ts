import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enabledChannels } from '../../src/channels/enable';
import type { ChannelModule } from '../../src/channels/module';
import { botframeworkEnv, describeBotFramework, loadBotFrameworkConfig, PUBLIC_CLOUD } from './config';

const creds = { MICROSOFT_APP_ID: 'app-1', MICROSOFT_APP_PASSWORD: 'pw' };

test('public-cloud defaults for a MultiTenant bot', () => {
  expect(loadBotFrameworkConfig(creds)).toEqual({
    authentication: 'jwt',
    appId: 'app-1',
    appPassword: 'pw',
    appType: 'MultiTenant',
    tenantId: null,
    openIdMetadataUrl: PUBLIC_CLOUD.openIdMetadataUrl,
    tokenIssuer: 'https://api.botframework.com',
    loginUrl: 'https://login.microsoftonline.com/botframework.com',
    oauthScope: 'https://api.botframework.com',
  });
});

test('a SingleTenant bot gets its token from its own tenant, and needs the tenant id', () => {
  const cfg = loadBotFrameworkConfig({ ...creds, MICROSOFT_APP_TYPE: 'SingleTenant', MICROSOFT_APP_TENANT_ID: 'tenant-9' });
  expect(cfg).toMatchObject({ appType: 'SingleTenant', tenantId: 'tenant-9', loginUrl: 'https://login.microsoftonline.com/tenant-9' });
  expect(() => loadBotFrameworkConfig({ ...creds, MICROSOFT_APP_TYPE: 'SingleTenant' })).toThrow(
    /MICROSOFT_APP_TENANT_ID: required when MICROSOFT_APP_TYPE=SingleTenant/,
  );
  expect(() => loadBotFrameworkConfig({ ...creds, MICROSOFT_APP_TYPE: 'Personal' })).toThrow(/MICROSOFT_APP_TYPE must be MultiTenant or SingleTenant/);
});

test('every endpoint can be set (sovereign clouds, tests)', () => {
  const cfg = loadBotFrameworkConfig({
    ...creds,
    BOTFRAMEWORK_OPENID_METADATA_URL: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
    BOTFRAMEWORK_TOKEN_ISSUER: 'https://api.botframework.us',
    BOTFRAMEWORK_LOGIN_URL: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us/',
    BOTFRAMEWORK_OAUTH_SCOPE: 'https://api.botframework.us',
  });
  expect(cfg).toMatchObject({
    openIdMetadataUrl: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
    tokenIssuer: 'https://api.botframework.us',
    loginUrl: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us',
    oauthScope: 'https://api.botframework.us',
  });
  expect(() => loadBotFrameworkConfig({ ...creds, BOTFRAMEWORK_LOGIN_URL: 'http://127.0.0.1:9/x' })).toThrow(/BOTFRAMEWORK_LOGIN_URL must be an https URL/);
  expect(() => loadBotFrameworkConfig({ ...creds, BOTFRAMEWORK_OPENID_METADATA_URL: 'keys.json' })).toThrow(/BOTFRAMEWORK_OPENID_METADATA_URL/);
});

test('an empty app id is refused, naming the variables, unless unauthenticated mode is asked for by name', () => {
  for (const env of [{}, { MICROSOFT_APP_ID: '' }, { BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'false' }]) {
    expect(() => loadBotFrameworkConfig(env)).toThrow(/MICROSOFT_APP_ID: empty.*MICROSOFT_APP_PASSWORD.*BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true/s);
  }
  expect(() => loadBotFrameworkConfig({ MICROSOFT_APP_PASSWORD: 'pw' })).toThrow(/MICROSOFT_APP_ID: missing while MICROSOFT_APP_PASSWORD is set/);
  expect(() => loadBotFrameworkConfig({ MICROSOFT_APP_ID: 'app-1' })).toThrow(/MICROSOFT_APP_PASSWORD: missing/);

  const open = loadBotFrameworkConfig({ BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'true' });
  expect(open).toMatchObject({ authentication: 'disabled', appId: null });
  expect(describeBotFramework(open, 'https://support.example.com/')).toBe(
    'botframework at https://support.example.com/webhooks/botframework: AUTHENTICATION DISABLED (BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true, no MICROSOFT_APP_ID): any request is accepted — local testing only',
  );
  expect(() => loadBotFrameworkConfig({ ...creds, BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'true' })).toThrow(
    /BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: true only applies without MICROSOFT_APP_ID/,
  );
});

test('fits the channel module contract: enabled by the app id and password, problems name the variable', () => {
  const module = { name: 'botframework', env: botframeworkEnv } as unknown as ChannelModule;
  expect(enabledChannels({}, [module])).toEqual({ enabled: [], problems: [] });
  expect(enabledChannels({ MICROSOFT_APP_ID: 'app-1' }, [module]).problems).toEqual([
    'botframework: MICROSOFT_APP_ID set but MICROSOFT_APP_PASSWORD missing',
  ]);
  expect(enabledChannels({ ...creds, MICROSOFT_APP_TYPE: 'SingleTenant' }, [module]).problems).toEqual([
    'MICROSOFT_APP_TENANT_ID: required when MICROSOFT_APP_TYPE=SingleTenant',
  ]);
  const { enabled } = enabledChannels({ ...creds, UNRELATED: 'x' }, [module]);
  expect(enabled[0].config).toMatchObject({ authentication: 'jwt', appId: 'app-1' });
  expect(describeBotFramework(enabled[0].config as never, null)).toBe('botframework (MultiTenant, tokens from https://api.botframework.com)');
});

test('BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true switches the channel on by itself; false alone is refused, naming why', () => {
  const module = { name: 'botframework', env: botframeworkEnv } as unknown as ChannelModule;
  const on = enabledChannels({ BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'true' }, [module]);
  expect(on.problems).toEqual([]);
  expect(on.enabled[0].config).toMatchObject({ authentication: 'disabled', appId: null });
  expect(enabledChannels({ BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'false' }, [module]).problems).toEqual([
    expect.stringMatching(/^MICROSOFT_APP_ID: empty, which turns Bot Framework authentication off/),
  ]);
});

test('BOTFRAMEWORK_LOGIN_CA: a PEM, or the path of one, trusted for the login host', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  expect(loadBotFrameworkConfig({ ...creds, BOTFRAMEWORK_LOGIN_CA: pem }).loginCa).toBe(pem);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bf-ca-')), 'ca.pem');
  fs.writeFileSync(file, pem);
  expect(loadBotFrameworkConfig({ ...creds, BOTFRAMEWORK_LOGIN_CA: file }).loginCa).toBe(pem);
  expect(() => loadBotFrameworkConfig({ ...creds, BOTFRAMEWORK_LOGIN_CA: '/nonexistent/ca.pem' })).toThrow(/BOTFRAMEWORK_LOGIN_CA must be a PEM certificate or the path of a readable PEM file/);
  expect(loadBotFrameworkConfig(creds).loginCa).toBeUndefined();
});
