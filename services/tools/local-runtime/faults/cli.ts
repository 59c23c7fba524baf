/**
 * The fault options of the local runtime's commands (`totes run`, and any command that starts a
 * LocalStack): `--faults SPEC --fault-seed N`, plus `--function-timeout` for short redelivery.
 * (`--seed` is the data seed of `totes seed` / `simulate`; the fault seed has its own name.)
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Stage } from '../../../../shared/config/resources.ts';
import { FAULT_KINDS, FaultInjector, FaultSpecError, parseFaultSpec } from './injector.ts';

export interface FaultOptions {
  readonly faults?: string;
  readonly faultSeed?: number;
  readonly functionTimeout?: number;
}

function specArgument(value: string): string {
  try {
    parseFaultSpec(value);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError('expected a whole number (0 or more).');
  return Number(value);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a whole number of seconds (1 or more).');
  return n;
}

export function addFaultOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--faults <spec>',
        `inject faults (local only): kind=probability,... or all=p; kinds: ${FAULT_KINDS.join(', ')}`,
      )
        .argParser(specArgument)
        .env('TOTES_FAULTS'),
    )
    .addOption(
      new Option('--fault-seed <n>', 'seed of the fault decisions (with --faults)')
        .argParser(wholeNumber)
        .default(1)
        .env('TOTES_FAULT_SEED'),
    )
    .option(
      '--function-timeout <seconds>',
      'transform and load timeout (their queues hide a message 6× as long; default: the local profile)',
      positiveSeconds,
    );
}

/** The injector (created DISABLED: enable it once the stack is up) and the timeouts to pass. */
export function faultsFromOptions(options: FaultOptions): {
  faults: FaultInjector | undefined;
  timeouts: Partial<Record<Stage, number>> | undefined;
} {
  return {
    faults:
      options.faults === undefined
        ? undefined
        : FaultInjector.parse(options.faults, options.faultSeed ?? 1, { enabled: false }),
    timeouts:
      options.functionTimeout === undefined
        ? undefined
        : { transform: options.functionTimeout, load: options.functionTimeout },
  };
}

/** `faults injected: 7 (s3.get 2, sqs.receive 1, ...)`. */
export function renderFaultCounts(faults: FaultInjector): string {
  const counts = Object.entries(faults.counts()).filter(([, n]) => n > 0);
  return `faults injected: ${faults.total}${counts.length > 0 ? ` (${counts.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`;
}
