import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embeddedDataLocation } from '../../../services/tools/local-runtime/postgres-location.ts';

describe('where the embedded PostgreSQL keeps its data', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'totes-location-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('uses <state>/postgres when the PostgreSQL user can reach it', async () => {
    const stateDir = path.join(dir, 'open', 'state');
    expect(await embeddedDataLocation(stateDir)).toEqual({ dataDir: path.join(stateDir, 'postgres') });
  });

  it('as root, keeps the data outside a folder closed to others, and records where', async () => {
    const closed = path.join(dir, 'closed');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    const stateDir = path.join(closed, 'state');
    const location = await embeddedDataLocation(stateDir);
    if (process.getuid?.() !== 0) {
      expect(location.dataDir).toBe(path.join(stateDir, 'postgres'));
      return;
    }
    const outside = (await readFile(path.join(stateDir, 'postgres.location'), 'utf8')).trim();
    expect(outside).toMatch(/^\/var\/tmp\/totes-postgres-[0-9a-f]{16}$/);
    expect(location.dataDir).toBe(path.join(outside, 'data'));
    expect(location.note).toContain(closed);
    // The same state folder finds the same place again.
    expect((await embeddedDataLocation(stateDir)).dataDir).toBe(location.dataDir);
    await rm(outside, { recursive: true, force: true });
  });
});
