// Builds the Microsoft Teams app package for this deployment:
//   MICROSOFT_APP_ID=<guid> PUBLIC_URL=https://… npm run teams:manifest [-- <folder>]
// writes <folder>/manifest.json, color.png and outline.png, and <folder>.zip (default ./teams-app) to upload in Teams
// (adapters/botframework/README-section.md). Optional: TEAMS_APP_NAME, TEAMS_DEVELOPER_NAME, TEAMS_PRIVACY_URL,
// TEAMS_TERMS_URL, TEAMS_APP_VERSION (raise it for each re-upload), TEAMS_ACCENT_COLOR.
import path from 'node:path';
import { teamsAppOptions, writeTeamsApp } from '../adapters/botframework/app-package/manifest';

let options;
try {
  options = teamsAppOptions(process.env);
} catch (err) {
  console.error((err as Error).message);
  console.error('e.g. MICROSOFT_APP_ID=00000000-0000-0000-0000-000000000000 PUBLIC_URL=https://support.example.com npm run teams:manifest');
  process.exit(2);
}
const out = writeTeamsApp(path.resolve(process.argv[2] ?? 'teams-app'), options);
console.log(`Teams app package: ${out.zip}`);
console.log(`  (manifest.json, color.png, outline.png also in ${out.dir})`);
console.log(`  bot ${options.appId}, messaging endpoint to set on the Azure Bot: ${options.publicUrl}/webhooks/botframework`);
