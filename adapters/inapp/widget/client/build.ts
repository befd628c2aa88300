// Turns the widget's source (switchboard-chat.js, plain browser JavaScript: nothing to compile) into bundle.ts, a
// module the service imports. A module rather than a file read at run time, so the script ships inside dist/ and
// the Docker image with nothing else to copy, and no bundler is needed at run time.
//   tsx adapters/inapp/widget/client/build.ts           regenerate bundle.ts
//   tsx adapters/inapp/widget/client/build.ts --check   fail if bundle.ts is not current (a test runs this check)
import fs from 'node:fs';
import path from 'node:path';

export const SOURCE = path.join(__dirname, 'switchboard-chat.js');
export const BUNDLE = path.join(__dirname, 'bundle.ts');

export function bundleText(): string {
  const source = fs.readFileSync(SOURCE, 'utf8');
  return `// Generated from switchboard-chat.js by adapters/inapp/widget/client/build.ts: edit that file, then run it.\n` +
    `export const WIDGET_JS = ${JSON.stringify(source)};\n`;
}

if (require.main === module) {
  const want = bundleText();
  const have = fs.existsSync(BUNDLE) ? fs.readFileSync(BUNDLE, 'utf8') : '';
  if (process.argv.includes('--check')) {
    if (want !== have) {
      console.error('adapters/inapp/widget/client/bundle.ts is out of date: run npm run widget:build');
      process.exit(1);
    }
  } else if (want !== have) {
    fs.writeFileSync(BUNDLE, want);
    console.log(`wrote ${path.relative(process.cwd(), BUNDLE)}`);
  }
}
