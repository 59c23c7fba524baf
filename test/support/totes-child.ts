/**
 * `totes <args>` as a long-running child process (a `run` to kill, a `start` to operate on): its
 * output as it comes, its exit, a wait on what it prints, and teardown. For one-shot commands use
 * `runTotes` (./cli.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { TOTES_BIN } from './cli.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TotesChild {
  readonly process: ChildProcess;
  /** Resolves when the process has exited (with `waitForStreams`: and its output is complete). */
  readonly exited: Promise<ChildExit>;
  /** stdout and stderr so far, interleaved as they came. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Waits until the output from offset `from` on matches; throws with its tail on timeout or exit. */
  waitForOutput(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGKILL) to it, or to its whole process group when detached; a no-op once gone. */
  kill(signal?: NodeJS.Signals): void;
}

export interface TotesChildOptions {
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Its own process group, as a terminal runs it (kill then signals the group). */
  readonly detached?: boolean;
  /** `exited` waits for the output streams to close too (complete stdout/stderr). */
  readonly waitForStreams?: boolean;
  /**
   * Its `Date` runs this far ahead of the real clock (./moved-clock.ts): the deadlines a killed
   * predecessor left (visibility timeouts, idempotency marks) are passed without sleeping.
   */
  readonly clockAheadMs?: number;
}

const MOVED_CLOCK = path.join(import.meta.dirname, 'moved-clock.ts');

/** The environment that preloads the moved clock (kept beside any NODE_OPTIONS already set). */
function movedClockEnv(aheadMs: number | undefined): NodeJS.ProcessEnv {
  if (!aheadMs) return {};
  return {
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${MOVED_CLOCK}`].filter(Boolean).join(' '),
    TOTES_TEST_CLOCK_AHEAD_MS: String(Math.round(aheadMs)),
  };
}

/** Spawns `totes <args>` with this Node (24) in the repository, the way a user runs it. */
export function spawnTotes(args: readonly string[], options: TotesChildOptions = {}): TotesChild {
  const child = spawn(process.execPath, [TOTES_BIN, ...args], {
    cwd: REPO,
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env, ...movedClockEnv(options.clockAheadMs) },
  });
  let all = '';
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    all += chunk.toString();
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    all += chunk.toString();
    err += chunk.toString();
  });
  let ended = false;
  const exited = new Promise<ChildExit>((resolve) =>
    child.once(options.waitForStreams ? 'close' : 'exit', (code, signal) => resolve({ code, signal })),
  );
  child.once('exit', () => {
    ended = true;
  });
  return {
    process: child,
    exited,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    async waitForOutput(pattern, timeoutMs, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = all.slice(from).match(pattern);
        if (match) return match;
        if (ended)
          throw new Error(`totes ${args[0]} ended before it printed ${pattern}:\n${all.slice(-3000)}`);
        if (Date.now() > deadline)
          throw new Error(`totes ${args[0]} never printed ${pattern}:\n${all.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    kill(signal = 'SIGKILL') {
      if (child.pid === undefined) return;
      try {
        // A detached group may outlive its leader (the runtime's own children).
        if (options.detached) process.kill(-child.pid, signal);
        else if (!ended) child.kill(signal);
      } catch {
        // Already gone.
      }
    },
  };
}

/** Whether any process of process group `pgid` is alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
