/**
 * Issue 16: a run killed with SIGKILL and the next one started at once, before the killed
 * process is even reaped, never prints a stack trace. The next run either takes the state folder
 * over and runs its cycle (exit 0, or 1 if the cycle counted a failed attempt), or says in one
 * line that the folder is in use (exit 2).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type RunFixture, startRunFixture } from '../support/run-fixture.ts';
import type { TotesChild } from '../support/totes-child.ts';

/** `totes run` as issue 16 runs it, its output complete when it ends. */
const startRun = (fixture: RunFixture) => fixture.run(['--function-timeout', '3'], { waitForStreams: true });

/** Resolves once `file` exists or the run has ended (whichever is first). */
async function untilExists(file: string, run: TotesChild): Promise<boolean> {
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
  let fixture: RunFixture;

  beforeAll(async () => {
    fixture = await startRunFixture('killrestart', { scale: 0.02, seed: 41 });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  // Killed as soon as it has claimed the AWS stand-ins' folder, then once its whole stack runs.
  it.each([
    ['the AWS stand-ins claimed the folder', path.join('aws', 'local-aws.json')],
    ['the whole stack runs', 'runtime.json'],
  ])(
    'killed when %s: the next run completes or says in one line the folder is busy',
    async (_when, marker) => {
      const first = startRun(fixture);
      const reached = await untilExists(path.join(fixture.stateDir, marker), first);
      if (!reached) {
        await first.exited;
        throw new Error(`the first run ended before ${marker} appeared:\n${first.stderr()}`);
      }
      first.kill('SIGKILL');
      const next = startRun(fixture);
      const [killed, exit] = await Promise.all([first.exited, next.exited]);
      const result = { code: exit.code, stdout: next.stdout(), stderr: next.stderr() };
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
