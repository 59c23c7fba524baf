/**
 * For tests that run `totes run` as a child process against real databases: a seeded source, an
 * empty warehouse and a private state folder, and the teardown that kills any child still alive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { spawnTotes, type TotesChild, type TotesChildOptions } from './totes-child.ts';

export interface RunFixture {
  readonly source: TestDatabase;
  readonly warehouse: TestDatabase;
  readonly stateDir: string;
  /** `totes run <args>` on the fixture's databases and state folder; killed at `stop` if alive. */
  run(args: readonly string[], options?: TotesChildOptions): TotesChild;
  stop(): Promise<void>;
}

export async function startRunFixture(
  name: string,
  seed: { readonly scale: number; readonly seed: number },
): Promise<RunFixture> {
  const source = await createTestDatabase(`${name}_source`);
  const warehouse = await createTestDatabase(`${name}_warehouse`);
  await seedSource(source.pool, seed);
  const stateDir = mkdtempSync(path.join(tmpdir(), `totes-${name}-`));
  const children: TotesChild[] = [];
  return {
    source,
    warehouse,
    stateDir,
    run(args, options) {
      const child = spawnTotes(
        [
          'run',
          '--state-dir',
          stateDir,
          '--source-url',
          source.url,
          '--warehouse-url',
          warehouse.url,
          ...args,
        ],
        options,
      );
      children.push(child);
      return child;
    },
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      await source.drop();
      await warehouse.drop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
