import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations from the schema; the same files are applied to PostgreSQL and to embedded PGlite.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
});
