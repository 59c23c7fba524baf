import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTotes } from '../../support/cli.ts';

const totes = (args: readonly string[], cwd: string) => runTotes(args, { cwd, timeoutMs: 300_000 });

describe('totes start (the main job on the embedded defaults)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'totes-start-'));
    // As root, PostgreSQL runs as a system user that must be able to enter the folder.
    await chmod(dir, 0o755);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('seeds and migrates on first start in ./.totes, and changes nothing on the second', async () => {
    const first = await totes(['start', '--scale', '0.05', '--seed', '7'], dir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`state folder: ${path.join(dir, '.totes')}`);
    expect(first.stdout).toContain(`data in ${path.join(dir, '.totes', 'postgres')}`);
    expect(first.stdout).toContain('seeding the source at scale 0.05 (seed 7)');
    // Static reference tables have their real sizes at any scale.
    expect(first.stdout).toMatch(/source rows: .*address 30, counterparty 20, currency 3/);
    expect(first.stdout).toContain('applied migration 1');
    expect(first.stdout).toContain('embedded PostgreSQL stopped');

    const second = await totes(['start'], dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('source already seeded');
    expect(second.stdout).toContain('nothing to apply: warehouse schema is at version 1');
    const rows = (out: string) => out.match(/source rows: (.*)/)?.[1];
    expect(rows(second.stdout)).toBe(rows(first.stdout));
  }, 600_000);

  it('as root, keeps the data outside a state folder the PostgreSQL user cannot reach', async () => {
    const closed = path.join(dir, 'closed');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    const stateDir = path.join(closed, 'state');
    const run = await totes(['start', '--state-dir', stateDir, '--scale', '0.05'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    if (process.getuid?.() === 0) {
      const outside = (await readFile(path.join(stateDir, 'postgres.location'), 'utf8')).trim();
      expect(outside).toMatch(/^\/var\/tmp\/totes-postgres-[0-9a-f]{16}$/);
      expect(run.stdout).toContain(`data in ${outside}/data`);
      await rm(outside, { recursive: true, force: true });
    } else {
      expect(run.stdout).toContain(`data in ${path.join(stateDir, 'postgres')}`);
    }
    expect(run.stdout).toContain('applied migration 1');
  }, 600_000);
});
