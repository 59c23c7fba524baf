import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  parseRate,
  type SimulationCounts,
  SourceNotSeededError,
  simulate,
} from '../../simulator/simulate.ts';
import { withPool } from '../database.ts';
import { CannotRunError, redactUrl } from '../errors.ts';
import {
  addExamples,
  addSourceUrlOption,
  envOption,
  nonNegativeInteger,
  resolveSourceUrl,
  type SourceUrlOption,
} from '../options.ts';

interface SimulateCommandOptions extends SourceUrlOption {
  readonly rate: number;
  readonly duration?: number;
  readonly seed?: number;
}

function rateOption(value: string): number {
  try {
    return parseRate(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function durationOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('expected a number of seconds (0 or more).');
  }
  return n;
}

export function describeCounts(counts: SimulationCounts): string {
  const part = (label: string, values: Record<string, number>) =>
    `${label} ${
      Object.entries(values)
        .filter(([, n]) => n > 0)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ') || 'nothing'
    }`;
  return `${counts.events} events; ${part('inserted', counts.inserted)}; ${part('updated', counts.updated)}`;
}

export function register(program: Command): void {
  const command = program
    .command('simulate')
    .description(
      'keep a seeded totesys database alive: new sales and purchases with their transactions and payments, new designs, and updates, timestamped by the database clock',
    )
    .addOption(
      envOption('--rate <rate>', 'events per second, like 2, 2/s or 120/min', {
        parse: rateOption,
        default: 1,
        defaultDescription: '1/s',
        env: 'TOTES_SIMULATE_RATE',
      }),
    )
    .addOption(
      new Option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)').argParser(
        durationOption,
      ),
    )
    .addOption(
      new Option('--seed <integer>', 'random data seed (default: random)').argParser(nonNegativeInteger),
    );
  addSourceUrlOption(command);
  addExamples(command, [
    ['totes simulate --source-url URL', 'one event a second until Ctrl-C'],
    ['totes simulate --rate 120/min --duration 60 --seed 3', 'a reproducible minute of business'],
  ]);
  command.action(async (options: SimulateCommandOptions) => {
    const url = resolveSourceUrl(options);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    console.log(
      `simulating on ${redactUrl(url)} at ${options.rate}/s ${
        options.duration === undefined ? 'until Ctrl-C' : `for ${options.duration} s`
      }`,
    );
    let lastReport = performance.now();
    try {
      const counts = await withPool('source database', url, async (pool) => {
        try {
          return await simulate(pool, {
            ratePerSecond: options.rate,
            signal: controller.signal,
            ...(options.duration === undefined ? {} : { durationSeconds: options.duration }),
            ...(options.seed === undefined ? {} : { seed: options.seed }),
            onEvent: (_kind, running) => {
              if (performance.now() - lastReport >= 10_000) {
                lastReport = performance.now();
                console.log(describeCounts(running));
              }
            },
          });
        } catch (error) {
          if (error instanceof SourceNotSeededError) throw new CannotRunError(error.message);
          throw error;
        }
      });
      console.log(`done: ${describeCounts(counts)}`);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}
