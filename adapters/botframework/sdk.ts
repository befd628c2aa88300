// The one place botbuilder objects are built from our configuration (see SDK.md for why botbuilder, and why it
// stays inside this folder).
import { ConfidentialClientApplication } from '@azure/msal-node';
import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import {
  type BotFrameworkAuthentication,
  MsalServiceClientCredentialsFactory,
  PasswordServiceClientCredentialFactory,
  type ServiceClientCredentialsFactory,
} from 'botframework-connector';
import { CallerIdConstants } from 'botframework-schema';
import type { BotFrameworkConfig } from './config';

export interface BotFrameworkSdk {
  config: BotFrameworkConfig;
  /** Validates inbound requests and builds connector clients; a CloudAdapter can be made from it too. */
  auth: BotFrameworkAuthentication;
  credentials: ServiceClientCredentialsFactory;
}

export function createBotFrameworkSdk(config: BotFrameworkConfig): BotFrameworkSdk {
  const credentials = createCredentialsFactory(config);
  const auth = new ConfigurationBotFrameworkAuthentication(
    {
      ToBotFromChannelOpenIdMetadataUrl: config.openIdMetadataUrl,
      ToBotFromChannelTokenIssuer: config.tokenIssuer,
      // We never accept emulator or skill tokens (auth.ts refuses any issuer but ours before the SDK sees the
      // token); should one slip through, the SDK's emulator and skill paths can only check it against the
      // channel's own keys, not against any Azure AD tenant's.
      ToBotFromEmulatorOpenIdMetadataUrl: config.openIdMetadataUrl,
      ToChannelFromBotLoginUrl: config.loginUrl,
      ToChannelFromBotOAuthScope: config.oauthScope,
      OAuthUrl: 'https://api.botframework.com',
      CallerId: CallerIdConstants.PublicAzureChannel,
      ValidateAuthority: true,
    },
    credentials,
  );
  return { config, auth, credentials };
}

/**
 * The bot's outbound token comes from MSAL against `config.loginUrl`. botbuilder's own factories never pass
 * `knownAuthorities` to MSAL, so against any host but login.microsoftonline.com MSAL first asks Microsoft's
 * instance discovery; naming the host as known makes it read `<loginUrl>/v2.0/.well-known/openid-configuration`
 * and post client credentials to that document's token_endpoint, nothing else.
 */
function createCredentialsFactory(config: BotFrameworkConfig): ServiceClientCredentialsFactory {
  // With no app id the SDK treats authentication as off and sends replies without a token (config.ts only lets
  // this happen when BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true).
  if (config.authentication === 'disabled') return new PasswordServiceClientCredentialFactory('', '');
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: config.appId,
      clientSecret: config.appPassword,
      authority: config.loginUrl,
      knownAuthorities: [new URL(config.loginUrl).host],
    },
    // Extra CA certificate(s) for the login host only (a private cloud's, or the tests' self-signed one): MSAL refuses
    // `http:` authorities, and NODE_EXTRA_CA_CERTS is read once when the process starts.
    system: config.loginCa ? { customAgentOptions: { ca: config.loginCa } } : undefined,
  });
  return new MsalServiceClientCredentialsFactory(config.appId, app);
}
