import type { Command } from 'commander';
import { countHeldRows, listHeldRows } from '../../../../shared/state/quarantine.ts';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { type QuarantineReport, quarantineReport, renderQuarantine } from '../../ops/quarantine/report.ts';
import { withPool } from '../database.ts';
import { ProblemFoundError } from '../errors.ts';
import {
  addExamples,
  addStateDirOption,
  addWarehouseUrlOption,
  envOption,
  nonNegativeInteger,
  optionalWarehouseUrl,
  resolveStateDir,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';
import { writeResult } from '../output.ts';

interface QuarantineCommandOptions extends WarehouseUrlOption, StateDirOption {
  readonly json?: boolean;
  readonly all?: boolean;
  readonly limit?: number;
}

/** The quarantine of the warehouse at `url`. */
export async function quarantineAt(
  url: string,
  options: { readonly all?: boolean; readonly limit?: number } = {},
): Promise<QuarantineReport> {
  return withPool('warehouse database', url, async (pool) =>
    quarantineReport(await listHeldRows(pool, options), await countHeldRows(pool)),
  );
}

/** The warehouse the options name, else the local stack of --state-dir (running or not). */
export async function quarantineCommand(options: QuarantineCommandOptions): Promise<QuarantineReport> {
  const query = { all: options.all === true, limit: options.limit ?? 1000 };
  const url = optionalWarehouseUrl(options);
  if (url !== undefined) return quarantineAt(url, query);
  const stack = await attachLocalStack({ stateDir: resolveStateDir(options) });
  try {
    return await quarantineAt(stack.warehouseUrl, query);
  } finally {
    await stack.detach();
  }
}

export function register(program: Command): void {
  const command = program
    .command('quarantine')
    .description(
      'list the rows held back in the warehouse quarantine (a source row the transform could not carry, ' +
        'or a fact waiting for such a row), each with its reason, its unit and how to release it; ' +
        'exits 1 while any row is held. Without a URL: the local stack of --state-dir (running or not)',
    );
  addWarehouseUrlOption(command, false);
  addStateDirOption(command);
  command
    .option('--all', 'also list the rows released already (and by what)')
    .option('--json', 'print one JSON object {held, rows: [...]}')
    .addOption(
      envOption('--limit <n>', 'rows listed at most', {
        parse: nonNegativeInteger,
        default: 1000,
        env: 'TOTES_HELD_LIMIT',
      }),
    );
  addExamples(command, [
    ['totes quarantine', 'the local stack of ./.totes: exit 0 if nothing is held, 1 if rows are'],
    ['WAREHOUSE_URL=... totes quarantine --json', 'a deployed warehouse, as JSON'],
    ['totes quarantine --all', 'with the history of released rows'],
  ]);
  command.action(async (options: QuarantineCommandOptions) => {
    const report = await quarantineCommand(options);
    writeResult(options.json, report, () => renderQuarantine(report));
    if (report.held > 0) {
      throw new ProblemFoundError(
        `quarantine: ${report.held} row${report.held === 1 ? '' : 's'} held (see RUNBOOK.md#rows-held)`,
      );
    }
  });
}
