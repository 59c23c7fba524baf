/**
 * `totes start` in the background, as a user starts it in another terminal: a private temporary
 * folder, a quiet source (no simulated events, so reconcile can be exact), and a wait until its live
 * view is up. For tests that operate on a running local stack (doctor, status, logs, schedule).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnTotes, type TotesChild } from './totes-child.ts';

export interface RunningStack {
  /** The temporary folder; the state folder is `state` inside it. */
  readonly dir: string;
  readonly stateDir: string;
  readonly child: TotesChild;
  /** Ctrl-C to the stack's process group, SIGKILL to what is left after a minute; removes the folder. */
  stop(): Promise<void>;
}

export interface RunningStackOptions {
  readonly name: string;
  readonly scale: number;
  /** Seconds between extract runs. */
  readonly every: number;
  /** How long `totes start` may take to show its live view (default 4 minutes). */
  readonly timeoutMs?: number;
}

export async function startRunningStack(options: RunningStackOptions): Promise<RunningStack> {
  const dir = await mkdtemp(path.join(tmpdir(), `totes-${options.name}-`));
  // Readable above the state folder, as a user's working directory is.
  await chmod(dir, 0o755);
  const stateDir = path.join(dir, 'state');
  const child = spawnTotes(
    [
      'start',
      '--state-dir',
      stateDir,
      '--scale',
      String(options.scale),
      '--every',
      String(options.every),
      '--simulate-rate',
      '0',
    ],
    // Its own process group, as a terminal runs it; no URLs: the stack starts its own databases.
    { detached: true, env: { TOTESYS_URL: '', WAREHOUSE_URL: '' } },
  );
  const stop = async () => {
    child.kill('SIGINT');
    await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await child.waitForOutput(/totes pipeline, local/, options.timeoutMs ?? 240_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, stateDir, child, stop };
}
