/**
 * Issue 16: a run killed with SIGKILL and the next one started at once, before the killed
 * process is even reaped, never prints a stack trace. The next run either takes the state folder
 * over and runs its cycle (exit 0, or 1 if the cycle counted a failed attempt), or says in one
 * line that the folder is in use (exit 2).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { TOTES_BIN } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
    stdout: string;
  }>;
}

function startRun(stateDir: string, source: TestDatabase, warehouse: TestDatabase): Run {
  const child = spawn(
    process.execPath,
    [
      TOTES_BIN,
      'run',
      '--source-url',
      source.url,
      '--warehouse-url',
      warehouse.url,
      '--function-timeout',
      '3',
    ],
    { env: { ...process.env, TOTES_STATE_DIR: stateDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
    stdout: string;
  }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stderr, stdout })));
  return { child, exited };
}

/** Resolves once `file` exists or the run has ended (whichever is first). */
async function untilExists(file: string, run: Run): Promise<boolean> {
  let ended = false;
  void run.exited.then(() => {
    ended = true;
  });
  while (!ended) {
    if (existsSync(file)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return existsSync(file);
}

describe('SIGKILL a run, start the next at once', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let stateDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('killrestart_source');
    warehouse = await createTestDatabase('killrestart_warehouse');
    await seedSource(source.pool, { scale: 0.02, seed: 41 });
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-killrestart-'));
  });

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await source?.drop();
    await warehouse?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  // Killed as soon as it has claimed the AWS stand-ins' folder, then once its whole stack runs.
  it.each([
    ['the AWS stand-ins claimed the folder', path.join('aws', 'local-aws.json')],
    ['the whole stack runs', 'runtime.json'],
  ])(
    'killed when %s: the next run completes or says in one line the folder is busy',
    async (_when, marker) => {
      const first = startRun(stateDir, source, warehouse);
      children.push(first.child);
      const reached = await untilExists(path.join(stateDir, marker), first);
      if (!reached)
        throw new Error(`the first run ended before ${marker} appeared:\n${(await first.exited).stderr}`);
      first.child.kill('SIGKILL');
      const next = startRun(stateDir, source, warehouse);
      children.push(next.child);
      const [killed, result] = await Promise.all([first.exited, next.exited]);
      expect(killed.signal).toBe('SIGKILL');
      expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
      if (result.code === 2) {
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(/^totes: .*(in use|another totes runtime)/);
      } else {
        // It took the folder over and ran the cycle: a summary, exit 0 (or 1 when the cycle
        // counted a failed attempt, which its summary shows), at most one `totes:` line.
        if (result.code !== 0 && result.code !== 1)
          throw new Error(`exit ${result.code}:\n${result.stdout}${result.stderr}`);
        expect(result.stdout).toMatch(/^run \S+: /);
        expect(
          result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('totes: ')),
        ).toEqual([]);
      }
    },
  );
});
