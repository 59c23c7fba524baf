import type { Command } from 'commander';
import type { DatabasePool } from 'slonik';
import { SOURCE_TABLE_NAMES } from '../../../../shared/schema/totesys.ts';
import { WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { missingTables, reconcile } from '../../ops/reconcile/reconcile.ts';
import { renderReconcileReport } from '../../ops/reconcile/render.ts';
import type { ReconcileOptions, ReconcileResult } from '../../ops/reconcile/types.ts';
import { withPool } from '../database.ts';
import { CliError, redactUrl } from '../errors.ts';
import {
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  nonNegativeInteger,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolveSourceUrl,
  resolveStateDir,
  resolveWarehouseUrl,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';

interface ReconcileCommandOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption {
  readonly json?: boolean;
  readonly limit?: number;
}

/** Refuses, in one line, a source without the totesys tables or a warehouse without its schema. */
async function checkSchemas(
  source: DatabasePool,
  sourceUrl: string,
  warehouse: DatabasePool,
  warehouseUrl: string,
): Promise<void> {
  const sourceMissing = await missingTables(source, SOURCE_TABLE_NAMES);
  if (sourceMissing.length > 0) {
    throw new CliError(
      `source database (${redactUrl(sourceUrl)}) is not a totesys database: no table ${sourceMissing.join(', ')}`,
    );
  }
  const warehouseMissing = await missingTables(warehouse, WAREHOUSE_TABLES);
  if (warehouseMissing.length > 0) {
    throw new CliError(
      `warehouse database (${redactUrl(warehouseUrl)}) has no table ${warehouseMissing.join(', ')}: run \`totes migrate\` first`,
    );
  }
}

/** Opens both databases (read only), checks their schemas, and compares them. */
export async function reconcileUrls(
  sourceUrl: string,
  warehouseUrl: string,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  return withPool('source database', sourceUrl, (source) =>
    withPool('warehouse database', warehouseUrl, async (warehouse) => {
      await checkSchemas(source, sourceUrl, warehouse, warehouseUrl);
      return reconcile(source, warehouse, options);
    }),
  );
}

/**
 * The two databases the options name. With neither URL given (flags or environment), the local
 * stack of `--state-dir`, attached like `status` does: the running runtime's databases, else the
 * state folder's embedded PostgreSQL started for the comparison and stopped after it. One URL
 * without the other is a usage error: half a local stack compared with a server is never meant.
 */
export async function reconcileCommand(options: ReconcileCommandOptions): Promise<ReconcileResult> {
  const sourceUrl = optionalSourceUrl(options);
  const warehouseUrl = optionalWarehouseUrl(options);
  if (sourceUrl !== undefined || warehouseUrl !== undefined) {
    return reconcileUrls(resolveSourceUrl(options), resolveWarehouseUrl(options));
  }
  const stack = await attachLocalStack({ stateDir: resolveStateDir(options) });
  try {
    return await reconcileUrls(stack.sourceUrl, stack.warehouseUrl);
  } finally {
    await stack.detach();
  }
}

export function register(program: Command): void {
  const command = program
    .command('reconcile')
    .description(
      'compare the warehouse with the source as the spec defines it: dimensions equal the current source rows ' +
        'joined, the latest fact version equals the current source row, no version stored twice, every ' +
        'referenced date in dim_date with correct attributes; exits 1 on any mismatch. Without URLs: the local stack of --state-dir (running or not)',
    );
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  addStateDirOption(command);
  command
    .option('--json', 'print one JSON object (ok, mismatches, counts, summary) instead of the diff')
    .option('--limit <n>', 'mismatches shown per table in the diff (default 10)', nonNegativeInteger)
    .action(async (options: ReconcileCommandOptions) => {
      const result = await reconcileCommand(options);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } else {
        process.stdout.write(`${renderReconcileReport(result, { limit: options.limit ?? 10 })}\n`);
      }
      if (!result.ok) {
        const n = result.summary.totalMismatches;
        throw new CliError(
          `reconcile: ${n} mismatch${n === 1 ? '' : 'es'} between the source and the warehouse`,
        );
      }
    });
}
