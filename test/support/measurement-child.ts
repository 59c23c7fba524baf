/**
 * The memory tests measure in a child process: a fresh heap, `--expose-gc`, an environment of its
 * own (MALLOC_ARENA_MAX), nothing of Jest's in it. The test forks a runner with its config as JSON
 * and awaits the runner's one report; the runner reports its result or its error and exits.
 *
 * A failed run fails fast: the parent kills the child on an error report instead of waiting for
 * an exit that emulators' listening sockets may hold off until the test's timeout.
 */
import { type ChildProcess, fork } from 'node:child_process';

interface Report<T> {
  readonly result?: T;
  readonly error?: string;
}

export interface MeasurementChildOptions {
  /** Node flags of the child (default `--expose-gc`). */
  readonly execArgv?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every child still running: for `afterAll`, when a test's timeout cut a run short. */
export function killMeasurementChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Forks `runner` with `config` and resolves with the result it reports; rejects with its error. */
export function runMeasurementChild<T>(
  runner: string,
  config: unknown,
  options: MeasurementChildOptions = {},
): Promise<T> {
  const name = runner.split('/').pop();
  return new Promise((resolve, reject) => {
    const child = fork(runner, [JSON.stringify(config)], {
      execArgv: [...(options.execArgv ?? ['--expose-gc'])],
      env: { ...process.env, ...options.env },
      // The runners log as they go; only the report and the tail of stderr matter here.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    running.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let report: Report<T> | undefined;
    child.on('message', (message) => {
      report = message as Report<T>;
      if (report.error !== undefined) {
        child.kill('SIGKILL');
        reject(new Error(`${name} failed: ${report.error}`));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      running.delete(child);
      if (report?.result !== undefined && code === 0) resolve(report.result);
      else reject(new Error(`${name} exited ${code}: ${report?.error ?? stderr.slice(-2000)}`));
    });
  });
}

/**
 * The runner's side: the config it was forked with, then `work`'s result (or its error) sent to
 * the parent, and an exit once the report is out, whatever handle the run may still hold open.
 * Run directly (no IPC channel), it prints the report to stderr.
 */
export function measurementConfig<C>(): C {
  return JSON.parse(process.argv[2] ?? '{}') as C;
}

export function reportToParent<T>(work: () => T | Promise<T>): void {
  const send = (report: Report<T>, code: number) => {
    if (process.send) process.send(report, () => process.exit(code));
    else {
      console.error(JSON.stringify(report));
      process.exit(code);
    }
  };
  Promise.resolve()
    .then(work)
    .then(
      (result) => send({ result }, 0),
      (error: unknown) =>
        send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, 1),
    );
}
