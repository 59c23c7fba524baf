import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../services/tools/local-runtime/embedded-postgres.ts';

/**
 * One PostgreSQL for the whole run: the embedded server by default, or any server given by
 * TEST_DATABASE_URL (a maintenance database URL; test files create their own databases on it).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const dir = await mkdtemp(path.join(tmpdir(), 'totes-test-pg-'));
  // As root, PostgreSQL runs as a created system user, which must be able to enter the folder.
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres(path.join(dir, 'data'));
  process.env.TEST_DATABASE_URL = server.url;
  (globalThis as { __TOTES_TEST_PG__?: unknown }).__TOTES_TEST_PG__ = { server, dir };
}
