// The Teams app package (manifest.json, a 192×192 colour icon and a 32×32 outline icon, zipped) generated from this
// deployment's configuration: `npm run teams:manifest`. Upload the zip in Teams (Apps → Manage your apps → Upload an
// app) or in the Teams admin center; README-section.md walks through it.
import fs from 'node:fs';
import path from 'node:path';
import { colorIcon, outlineIcon } from './png';
import { zip } from './zip';

export const MANIFEST_VERSION = '1.17';
export const SCHEMA = `https://developer.microsoft.com/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`;
const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;

export interface TeamsAppOptions {
  /** MICROSOFT_APP_ID: the bot's app registration, also the Teams app's id. */
  appId: string;
  /** PUBLIC_URL: the developer website by default, and the domain the app is valid for. */
  publicUrl: string;
  name: string;
  developerName: string;
  privacyUrl: string;
  termsOfUseUrl: string;
  /** Raise it for every package uploaded again: Teams only updates an app to a higher version. */
  version: string;
  accentColor: string;
}

/** Reads the options from the environment; throws one error that names every missing or malformed variable. */
export function teamsAppOptions(env: Record<string, string | undefined>): TeamsAppOptions {
  const get = (n: string) => env[n]?.trim() || undefined;
  const problems: string[] = [];
  const appId = get('MICROSOFT_APP_ID');
  const publicUrl = get('PUBLIC_URL')?.replace(/\/+$/, '');
  if (!appId) problems.push('MICROSOFT_APP_ID is not set (the Azure Bot resource\'s Microsoft App ID)');
  else if (!GUID.test(appId)) problems.push('MICROSOFT_APP_ID must be a GUID, as Azure gives it');
  if (!publicUrl) problems.push('PUBLIC_URL is not set (the https address Teams reaches this service on)');
  else if (!/^https:\/\/[^/]/i.test(publicUrl) || !URL.canParse(publicUrl)) problems.push('PUBLIC_URL must be an https URL');
  const https = (n: string, fallback: string | undefined) => {
    const v = get(n) ?? fallback;
    if (v && !/^https:\/\/[^/]/i.test(v)) problems.push(`${n} must be an https URL`);
    return v ?? '';
  };
  const privacyUrl = https('TEAMS_PRIVACY_URL', publicUrl);
  const termsOfUseUrl = https('TEAMS_TERMS_URL', publicUrl);
  const name = get('TEAMS_APP_NAME') ?? 'Switchboard Support';
  if (name.length > 30) problems.push('TEAMS_APP_NAME must be at most 30 characters');
  const developerName = get('TEAMS_DEVELOPER_NAME') ?? 'Switchboard';
  if (developerName.length > 32) problems.push('TEAMS_DEVELOPER_NAME must be at most 32 characters');
  const version = get('TEAMS_APP_VERSION') ?? '1.0.0';
  if (!/^\d+\.\d+\.\d+$/.test(version)) problems.push('TEAMS_APP_VERSION must be a version like 1.0.0');
  const accentColor = get('TEAMS_ACCENT_COLOR') ?? '#2B5797';
  if (!/^#[0-9a-fA-F]{6}$/.test(accentColor)) problems.push('TEAMS_ACCENT_COLOR must be a colour like #2B5797');
  if (problems.length) throw new Error(`Cannot build the Teams app package:\n  - ${problems.join('\n  - ')}`);
  return { appId: appId!, publicUrl: publicUrl!, name, developerName, privacyUrl, termsOfUseUrl, version, accentColor };
}

const COMMANDS = [
  { title: 'status', description: 'Your open cases' },
  { title: 'urgency', description: 'Set the urgency of your open case: /urgency critical, high, medium, low, informational or feature' },
  { title: 'call', description: 'Ask for a call, at least one working day ahead: /call tomorrow 15:00' },
  { title: 'feature', description: 'Suggest a feature: /feature what you need' },
];
const SCOPES = ['personal', 'team', 'groupChat'];

export function teamsManifest(o: TeamsAppOptions) {
  return {
    $schema: SCHEMA,
    manifestVersion: MANIFEST_VERSION,
    version: o.version,
    id: o.appId,
    developer: { name: o.developerName, websiteUrl: o.publicUrl, privacyUrl: o.privacyUrl, termsOfUseUrl: o.termsOfUseUrl },
    name: { short: o.name, full: `${o.name} — premium support` },
    description: {
      short: 'Premium support: write to your dedicated manager from Teams.',
      full:
        'Write your question here and your dedicated support manager answers in this chat. Every message gets an urgency ' +
        'and a response time from your support agreement. Commands: /status lists your open cases, /urgency sets the ' +
        'urgency of your open case, /call asks for a call, /feature files a feature request. In a channel, mention the ' +
        'bot; each post is a case of its own and answers come in its thread.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: o.accentColor,
    bots: [
      {
        botId: o.appId,
        scopes: SCOPES,
        // Clients send screenshots and exports; they are kept as links on the case.
        supportsFiles: true,
        isNotificationOnly: false,
        commandLists: [{ scopes: SCOPES, commands: COMMANDS }],
      },
    ],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [new URL(o.publicUrl).host],
  };
}

export interface TeamsAppPackage {
  manifest: ReturnType<typeof teamsManifest>;
  files: { name: string; data: Buffer }[];
  zip: Buffer;
}

export function teamsAppPackage(o: TeamsAppOptions): TeamsAppPackage {
  const manifest = teamsManifest(o);
  const files = [
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: 'color.png', data: colorIcon(o.accentColor) },
    { name: 'outline.png', data: outlineIcon() },
  ];
  return { manifest, files, zip: zip(files) };
}

/** Writes the three files into `dir` and the package next to them as `<dir>.zip`; returns the paths written. */
export function writeTeamsApp(dir: string, o: TeamsAppOptions): { dir: string; zip: string } {
  const pkg = teamsAppPackage(o);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of pkg.files) fs.writeFileSync(path.join(dir, f.name), f.data);
  const zipPath = `${dir.replace(/[/\\]+$/, '')}.zip`;
  fs.writeFileSync(zipPath, pkg.zip);
  return { dir, zip: zipPath };
}
