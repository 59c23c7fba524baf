import type { Command } from 'commander';
import { type MigrationResult, migrateWarehouse } from '../../../../shared/db/migrate.ts';
import { WAREHOUSE_MIGRATIONS } from '../../../../shared/schema/warehouse.ts';
import { withPool } from '../database.ts';
import { redactUrl } from '../errors.ts';
import {
  addExamples,
  addWarehouseUrlOption,
  resolveWarehouseUrl,
  type WarehouseUrlOption,
} from '../options.ts';

/** Applies the warehouse migrations at `url`, then describes what happened, one line each. */
export async function migrateWarehouseAt(url: string): Promise<{ result: MigrationResult; lines: string[] }> {
  const result = await withPool('warehouse database', url, (pool) => migrateWarehouse(pool));
  return { result, lines: describeMigration(result) };
}

export function describeMigration(result: MigrationResult): string[] {
  const describe = (version: number) =>
    `${version} (${WAREHOUSE_MIGRATIONS.find((m) => m.version === version)?.description ?? 'unknown'})`;
  const latest = Math.max(0, ...result.applied, ...result.alreadyApplied);
  if (result.applied.length === 0) return [`nothing to apply: warehouse schema is at version ${latest}`];
  return [
    ...result.applied.map((version) => `applied migration ${describe(version)}`),
    `warehouse schema is at version ${latest}`,
  ];
}

export function register(program: Command): void {
  const command = program
    .command('migrate')
    .description('apply the warehouse schema migrations not yet applied (running it twice changes nothing)');
  addWarehouseUrlOption(command);
  addExamples(command, [
    ['totes migrate --warehouse-url postgres://u:pw@host/warehouse', 'apply what is missing'],
    ['WAREHOUSE_URL=postgres://... totes migrate', 'the same, URL from the environment'],
  ]);
  command.action(async (options: WarehouseUrlOption) => {
    const url = resolveWarehouseUrl(options);
    console.log(`migrating ${redactUrl(url)}`);
    const { lines } = await migrateWarehouseAt(url);
    for (const line of lines) console.log(line);
  });
}
