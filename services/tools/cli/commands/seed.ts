import type { Command } from 'commander';
import { SeedRefusedError, seedSource } from '../../simulator/seed.ts';
import { withPool } from '../database.ts';
import { CannotRunError, redactUrl } from '../errors.ts';
import {
  addExamples,
  addSourceUrlOption,
  envOption,
  nonNegativeInteger,
  positiveNumber,
  resolveSourceUrl,
  type SourceUrlOption,
} from '../options.ts';

interface SeedCommandOptions extends SourceUrlOption {
  readonly scale: number;
  readonly seed: number;
  readonly reset?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('seed')
    .description(
      'create the totesys source schema if absent and fill it like the real database (scale 1 = real volumes; same seed, same bytes)',
    )
    .addOption(
      envOption(
        '--scale <number>',
        'volume of the time-dependent tables; 1 = the real database, 0.05 for quick tests',
        { parse: positiveNumber, default: 1 },
      ),
    )
    .addOption(
      envOption('--seed <integer>', 'random data seed; the same seed gives identical data', {
        parse: nonNegativeInteger,
        default: 1,
      }),
    )
    .option('--reset', 'truncate the source tables first (otherwise a source that holds rows is refused)');
  addSourceUrlOption(command);
  addExamples(command, [
    ['totes seed --source-url postgres://u:pw@localhost/totesys', 'the real volumes, seed 1'],
    ['TOTESYS_URL=postgres://... totes seed --scale 0.05 --seed 7', 'a small, different data set'],
    ['totes seed --reset --source-url URL', 'empty the source tables first'],
  ]);
  command.action(async (options: SeedCommandOptions) => {
    const url = resolveSourceUrl(options);
    console.log(`seeding ${redactUrl(url)} at scale ${options.scale} with seed ${options.seed}`);
    const started = performance.now();
    const result = await withPool('source database', url, async (pool) => {
      try {
        return await seedSource(pool, {
          scale: options.scale,
          seed: options.seed,
          reset: options.reset === true,
          onProgress: ({ ordersWritten, ordersTotal }) => {
            if (process.stderr.isTTY) process.stderr.write(`\r  orders ${ordersWritten}/${ordersTotal}`);
          },
        });
      } catch (error) {
        if (error instanceof SeedRefusedError) throw new CannotRunError(error.message);
        throw error;
      } finally {
        if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
      }
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const counts = Object.entries(result.counts)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ');
    console.log(`seeded in ${seconds} s: ${counts}`);
    console.log(`orders from ${result.timelineStart} to ${result.timelineEnd}`);
  });
}
