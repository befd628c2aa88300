// Prints the Slack app manifest for this deployment: PUBLIC_URL=https://… npm run slack:manifest
// Paste the output into api.slack.com/apps → Create New App → From an app manifest (docs/slack-setup.md).
import { buildManifest } from '../src/console/slack/manifest';

const publicUrl = process.env.PUBLIC_URL?.trim();
if (!publicUrl) {
  console.error('PUBLIC_URL is not set. Give the HTTPS address Slack will reach this service on, e.g.\n' +
    '  PUBLIC_URL=https://switchboard.example.com npm run slack:manifest');
  process.exit(2);
}

let manifest;
try {
  manifest = buildManifest(publicUrl, { appName: process.env.SLACK_APP_NAME?.trim() || undefined });
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
if (publicUrl.startsWith('http://'))
  console.error('Warning: Slack only delivers to https:// request URLs; use an HTTPS address (or a tunnel) for a real workspace.');
process.stdout.write(JSON.stringify(manifest, null, 2) + '\n');
