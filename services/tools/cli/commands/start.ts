import type { Command } from 'commander';
import { addFaultOptions, type FaultOptions, faultsFromOptions } from '../../local-runtime/faults/cli.ts';
import { RuntimeBusyError } from '../../local-runtime/stack.ts';
import { startPipeline } from '../../local-runtime/start-pipeline.ts';
import { evaluateAlarms } from '../../ops/alarms/index.ts';
import { parseRate } from '../../simulator/simulate.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  positiveNumber,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';

/**
 * `totes start` (`npm start`): the whole pipeline on one machine until Ctrl-C — embedded
 * PostgreSQL (source seeded at scale 1 on the first start), the AWS stand-ins, the real handlers
 * on a short schedule, a live simulate of totesys, and a live view with the alarm states.
 */

interface StartOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption, FaultOptions {
  readonly scale: number;
  readonly every: number;
  readonly simulateRate?: string;
  readonly simulateSeed?: number;
}

function simulateRate(options: StartOptions, sourceGiven: boolean): number {
  // A source given by URL is somebody's database: simulate writes into it only when asked to.
  if (options.simulateRate === undefined) return sourceGiven ? 0 : 2;
  if (options.simulateRate === '0') return 0;
  try {
    return parseRate(options.simulateRate);
  } catch (error) {
    throw new UsageError(`--simulate-rate: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function runStart(options: StartOptions): Promise<void> {
  const sourceUrl = optionalSourceUrl(options);
  const { faults, timeouts } = faultsFromOptions(options);
  try {
    await startPipeline({
      stateDir: resolveStateDir(options),
      sourceUrl,
      warehouseUrl: optionalWarehouseUrl(options),
      seedScale: options.scale,
      scheduleSeconds: options.every,
      simulateRate: simulateRate(options, sourceUrl !== undefined),
      ...(options.simulateSeed === undefined ? {} : { simulateSeed: options.simulateSeed }),
      ...(faults ? { faults } : {}),
      ...(timeouts ? { timeouts } : {}),
      alarms: async (stack) => (await evaluateAlarms(stack)).map((a) => ({ name: a.name, state: a.state })),
    });
  } catch (error) {
    if (error instanceof RuntimeBusyError) throw new CliError(error.message, { exitCode: 2, cause: error });
    throw error;
  }
}

export function register(program: Command): void {
  const command = program
    .command('start')
    .description(
      'run the whole pipeline locally until Ctrl-C: embedded PostgreSQL (seeded on first start), AWS stand-ins, the three Lambdas on a schedule, a live simulate of totesys, and a live view',
    );
  addStateDirOption(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option(
      '--scale <n>',
      'generator scale for seeding an empty embedded source (1 = the real volumes)',
      positiveNumber,
      1,
    )
    .option('--every <seconds>', 'seconds between scheduled extracts (AWS: 300)', positiveNumber, 30)
    .option(
      '--simulate-rate <rate>',
      'business events written to the source per second, e.g. 2 or 120/min; 0 turns simulate off (default 2 on the embedded source, off for --source-url)',
    )
    .option('--simulate-seed <n>', 'seed of the simulated events (default random)', (v) =>
      Number.parseInt(v, 10),
    );
  addFaultOptions(command);
  command.action((options: StartOptions) => runStart(options));
}
