// npm run chaos: fault runs against the machine's PostgreSQL (DATABASE_URL, default the local server). Slow and
// heavy on purpose — real processes killed and restarted, platforms failing for half a minute — so they are not in
// `npm test`. One file at a time; each case prints what it checked and its counts.
const base = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '..',
  testMatch: ['<rootDir>/chaos/**/*.chaos.ts'],
  maxWorkers: 1,
  testTimeout: 10 * 60_000,
  globalSetup: '<rootDir>/chaos/setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
