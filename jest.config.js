/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // fastify's inject() pulls in cookie@2, which is ESM only; jest on Node 20 can't require ESM, so compile it.
    '/node_modules/cookie/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
    // email-reply-parser ships ESM only; Node 20 can require() it, jest can't.
    '/node_modules/email-reply-parser/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/|email-reply-parser/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/adapters/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Two cores here: more workers only add PGlite instances (~300 MB each) competing for CPU.
  maxWorkers: 2,
  testTimeout: 30000,
};
