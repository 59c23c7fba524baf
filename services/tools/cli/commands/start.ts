import type { Command } from 'commander';
import { attachedFromLocalStack, openLocalTarget, stageActivityOf } from '../../console/local-target.ts';
import { addConsoleListenOptions, type ConsoleListenOptions, openUrl } from '../../console/options.ts';
import { SecretScrubber } from '../../console/redact.ts';
import { PortInUseError, startConsoleServer } from '../../console/server.ts';
import { addFaultOptions, type FaultOptions, faultsFromOptions } from '../../local-runtime/faults/cli.ts';
import { BundlesMissingError } from '../../local-runtime/lambda/handlers.ts';
import { DEFAULT_MALLOC_TRIM_SECONDS } from '../../local-runtime/native-memory/malloc-trimmer.ts';
import { type LocalStack, RuntimeBusyError } from '../../local-runtime/stack.ts';
import { startPipeline } from '../../local-runtime/start-pipeline.ts';
import { evaluateAlarms } from '../../ops/alarms/index.ts';
import { parseRate } from '../../simulator/simulate.ts';
import { CannotRunError, UsageError } from '../errors.ts';
import {
  addBundlesOption,
  addExamples,
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  envOption,
  nonNegativeInteger,
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

interface StartOptions
  extends SourceUrlOption,
    WarehouseUrlOption,
    StateDirOption,
    FaultOptions,
    Omit<ConsoleListenOptions, 'port'> {
  /** false with --no-console. */
  readonly console: boolean;
  readonly consolePort: number;
  readonly scale: number;
  readonly every: number;
  readonly simulateRate?: string;
  readonly simulateSeed?: number;
  readonly bundles?: boolean;
  readonly mallocTrim: number;
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

/** The web console on the running stack (services/tools/console), as `totes console` serves it. */
function serveConsole(options: StartOptions) {
  return async (stack: LocalStack) => {
    const target = await openLocalTarget({
      stack: attachedFromLocalStack(stack),
      scheduleSeconds: stack.options.scheduleSeconds ?? 30,
      stageActivity: stageActivityOf(stack),
    });
    try {
      const listen = (port: number) =>
        startConsoleServer({
          target,
          host: options.host,
          port,
          accessToken: options.token ?? null,
          secrets: SecretScrubber.fromUrls([stack.sourceUrl, stack.warehouseUrl]),
        });
      // A second `npm start` (another state folder) must not lose its console to the first's port.
      const server = await listen(options.consolePort).catch((error: unknown) => {
        if (error instanceof PortInUseError && options.consolePort !== 0) return listen(0);
        throw error;
      });
      return {
        url: openUrl(server.url, options.token),
        close: async () => {
          await server.close();
          await target.close();
        },
      };
    } catch (error) {
      await target.close();
      throw error;
    }
  };
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
      ...(options.console === false ? {} : { console: serveConsole(options) }),
      ...(options.bundles ? { handlers: 'bundles' as const } : {}),
      mallocTrimSeconds: options.mallocTrim,
      ...(process.env.TOTES_DEBUG
        ? { debug: (line: string) => process.stderr.write(`totes: ${line}\n`) }
        : {}),
      alarms: async (stack) => (await evaluateAlarms(stack)).map((a) => ({ name: a.name, state: a.state })),
    });
  } catch (error) {
    if (error instanceof RuntimeBusyError || error instanceof BundlesMissingError)
      throw new CannotRunError(error.message, { cause: error });
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
    .addOption(
      envOption(
        '--scale <n>',
        'generator scale for seeding an empty embedded source (1 = the real volumes)',
        {
          parse: positiveNumber,
          default: 1,
        },
      ),
    )
    .addOption(
      envOption('--every <seconds>', 'seconds between scheduled extracts (AWS: 300)', {
        parse: positiveNumber,
        default: 30,
      }),
    )
    .addOption(
      envOption(
        '--simulate-rate <rate>',
        'business events written to the source per second, e.g. 2 or 120/min; 0 turns simulate off (default: 2 on the embedded source, off for --source-url)',
      ),
    )
    .option('--simulate-seed <n>', 'seed of the simulated events (default random)', nonNegativeInteger)
    .addOption(
      envOption(
        '--malloc-trim <seconds>',
        "seconds between two calls of glibc's malloc_trim(0), which hands memory freed by the process back to the kernel (Linux with glibc only); 0 turns it off",
        { parse: nonNegativeInteger, default: DEFAULT_MALLOC_TRIM_SECONDS },
      ),
    );
  addBundlesOption(command);
  addConsoleListenOptions(command, '--console-port');
  command.option('--no-console', 'do not serve the web console');
  addFaultOptions(command);
  addExamples(command, [
    ['npm start', 'the same as `totes start`: everything in ./.totes'],
    ['totes start --every 10 --simulate-rate 0', 'extract every 10 s, no simulated business'],
    ['totes start --faults all=0.02 --fault-seed 3', 'with seeded faults at every boundary'],
    ['npm run build && totes start --bundles', 'run the built Lambda bundles instead of the sources'],
    ['TOTES_STATE_DIR=/tmp/t totes start', 'another state folder'],
  ]);
  command.action((options: StartOptions) => runStart(options));
}
