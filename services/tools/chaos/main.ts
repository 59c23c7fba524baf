/**
 * `npm run chaos -- --seed N --cycles K [--faults SPEC] [--scale S] [--events E] [--keep-state]`
 * Exits 0 only when nothing was lost, nothing duplicated and the warehouse reconciles.
 */
import { Command, InvalidArgumentError } from 'commander';
import { FaultSpecError, parseFaultSpec } from '../local-runtime/faults/injector.ts';
import { DEFAULT_CHAOS_FAULTS, renderChaosReport, runChaos } from './run.ts';

const integer = (value: string): number => {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
};
const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
};
const spec = (value: string): string => {
  try {
    parseFaultSpec(value);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value;
};

const program = new Command('chaos')
  .description(
    'run the local pipeline with seeded faults at every boundary, then drain, redrive and reconcile; last line: faults=N lost=L duplicated=D',
  )
  .option('--seed <n>', 'seed of every fault decision and of the simulated changes', integer, 1)
  .option('--cycles <k>', 'extract cycles with faults on', integer, 10)
  .option(
    '--faults <spec>',
    'kind=probability,... or all=p (see services/tools/chaos/README.md)',
    spec,
    DEFAULT_CHAOS_FAULTS,
  )
  .option('--scale <s>', 'seed scale of the embedded source', positive, 0.05)
  .option('--events <n>', 'simulated business events between two extracts', integer, 120)
  .option('--state-dir <dir>', 'use (and keep) this state folder instead of a temporary one')
  .option('--keep-state', 'keep the temporary state folder')
  .option('--quiet', 'only the report');

const options = program.parse().opts<{
  seed: number;
  cycles: number;
  faults: string;
  scale: number;
  events: number;
  stateDir?: string;
  keepState?: boolean;
  quiet?: boolean;
}>();

try {
  const result = await runChaos({
    seed: options.seed,
    cycles: options.cycles,
    faults: options.faults,
    scale: options.scale,
    eventsPerCycle: options.events,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    keepState: options.keepState === true,
    ...(options.quiet ? {} : { log: (line: string) => process.stderr.write(`${line}\n`) }),
  });
  process.stdout.write(`${renderChaosReport(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
} catch (error) {
  process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
