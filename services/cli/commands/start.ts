import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { type DatabasePool, sql } from 'slonik';
import { SOURCE_TABLE_NAMES } from '../../../shared/schema/totesys.ts';
import type { EmbeddedPostgresHandle } from '../../local-runtime/embedded-postgres.ts';
import { SeedRefusedError, seedSource } from '../../simulator/seed.ts';
import { withPool } from '../database.ts';
import { CliError, redactUrl } from '../errors.ts';
import {
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  nonNegativeInteger,
  optionalSourceUrl,
  optionalWarehouseUrl,
  positiveNumber,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';
import { embeddedDataLocation } from '../postgres-location.ts';
import { migrateWarehouseAt } from './migrate.ts';

/**
 * `totes start` — until the local pipeline runtime exists, the main job is the foundation's:
 * start the embedded PostgreSQL in the state folder (unless both databases are given by URL),
 * seed the source on first start, migrate the warehouse, say what was done and where, and stop.
 */

interface StartOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption {
  readonly scale: number;
  readonly seed: number;
  readonly verbose?: boolean;
}

/** Database names on the embedded server. */
export const EMBEDDED_SOURCE_DB = 'totesys';
export const EMBEDDED_WAREHOUSE_DB = 'warehouse';

/** True when the source already holds the totesys tables with data. */
async function sourceIsSeeded(pool: DatabasePool): Promise<boolean> {
  const exists = await pool.oneFirst(sql.unsafe`SELECT to_regclass('public.sales_order') IS NOT NULL`);
  if (!exists) return false;
  return (await pool.oneFirst(sql.unsafe`SELECT EXISTS (SELECT 1 FROM "sales_order")`)) === true;
}

async function sourceCounts(pool: DatabasePool): Promise<string> {
  const parts: string[] = [];
  for (const table of SOURCE_TABLE_NAMES) {
    const exists = await pool.oneFirst(sql.unsafe`SELECT to_regclass(${`public.${table}`}) IS NOT NULL`);
    if (!exists) continue;
    const rows = await pool.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])}`);
    parts.push(`${table} ${String(rows)}`);
  }
  return parts.length === 0 ? '(no tables)' : parts.join(', ');
}

/** The pid of a PostgreSQL already running on `dataDir`, from its postmaster.pid, if any. */
async function runningPostmaster(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive but owned by another user (the server runs as a created system user under root).
    return (error as { code?: string }).code === 'EPERM' ? pid : undefined;
  }
}

async function startServer(
  stateDir: string,
  verbose: boolean,
  say: (line: string) => void,
): Promise<{ server: EmbeddedPostgresHandle; dataDir: string }> {
  const { dataDir, note } = await embeddedDataLocation(stateDir);
  if (note) say(note);
  const running = await runningPostmaster(dataDir);
  if (running !== undefined) {
    throw new CliError(
      `a PostgreSQL (pid ${running}) is already running on ${dataDir}: is another totes using this state folder? (stop it, or pass --state-dir)`,
    );
  }
  await mkdir(stateDir, { recursive: true });
  // Loaded only here: embedded-postgres installs process exit hooks when imported.
  const { startEmbeddedPostgres } = await import('../../local-runtime/embedded-postgres.ts');
  try {
    const server = await startEmbeddedPostgres(
      dataDir,
      verbose ? { log: (line) => console.error(line) } : {},
    );
    return { server, dataDir };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : undefined;
    throw new CliError(
      `cannot start the embedded PostgreSQL in ${dataDir}${reason ? ` (${reason})` : ''}: ` +
        'is another totes using this state folder? (stop it, or pass --state-dir; --verbose shows its log)',
      { cause: error },
    );
  }
}

export async function runStart(
  options: StartOptions,
  say: (line: string) => void = console.log,
): Promise<void> {
  const stateDir = resolveStateDir(options);
  let sourceUrl = optionalSourceUrl(options);
  let warehouseUrl = optionalWarehouseUrl(options);
  let server: EmbeddedPostgresHandle | undefined;
  // Ctrl-C / SIGTERM: embedded-postgres's own exit hook stops the server; the step that was
  // running then fails, and is reported as the interruption it is.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (sourceUrl === undefined || warehouseUrl === undefined) {
      say(`state folder: ${stateDir}`);
      const started = await startServer(stateDir, options.verbose === true, say);
      server = started.server;
      say(`embedded PostgreSQL: data in ${started.dataDir}, listening on 127.0.0.1:${server.port}`);
      sourceUrl ??= await server.ensureDatabase(EMBEDDED_SOURCE_DB);
      warehouseUrl ??= await server.ensureDatabase(EMBEDDED_WAREHOUSE_DB);
    }
    const source = sourceUrl;
    const warehouse = warehouseUrl;
    say(`source: ${redactUrl(source)}`);
    await withPool('source database', source, async (pool) => {
      if (await sourceIsSeeded(pool)) {
        say('source already seeded: leaving it as it is');
      } else {
        say(`seeding the source at scale ${options.scale} (seed ${options.seed})...`);
        try {
          await seedSource(pool, { scale: options.scale, seed: options.seed });
        } catch (error) {
          // The generator refuses a source that already holds rows of another origin.
          if (error instanceof SeedRefusedError) throw new CliError(error.message);
          throw error;
        }
      }
      say(`source rows: ${await sourceCounts(pool)}`);
    });
    say(`warehouse: ${redactUrl(warehouse)}`);
    const { lines } = await migrateWarehouseAt(warehouse);
    for (const line of lines) say(line);
    say('done: run the pipeline over this state folder with `totes run --once`');
  } catch (error) {
    if (interrupted === undefined) throw error;
    throw new CliError(`interrupted by ${interrupted}`, {
      exitCode: interrupted === 'SIGINT' ? 130 : 143,
      cause: error,
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (server) {
      await server.stop();
      say('embedded PostgreSQL stopped');
    }
  }
}

export function register(program: Command): void {
  const command = program
    .command('start')
    .description(
      'run the main job on the embedded defaults: PostgreSQL in the state folder, seed the source on first start, migrate the warehouse',
    );
  addStateDirOption(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option('--scale <n>', 'generator scale for the first seed (1 = the real volumes)', positiveNumber, 1)
    .option('--seed <n>', 'generator seed for the first seed', nonNegativeInteger, 1)
    .option('--verbose', 'print the embedded PostgreSQL log')
    .action(async (options: StartOptions) => runStart(options));
}
