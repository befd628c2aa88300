// Chaos runs need a real PostgreSQL server (several processes on one database, a server restart): the machine's, unless
// DATABASE_URL names another. Then the same template set-up as the test suite.
import globalSetup from '../test/support/global-setup';

export default async function chaosSetup() {
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
  await globalSetup();
}
