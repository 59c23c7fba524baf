import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ENV } from '../../../shared/config/env.ts';
import { DEFAULT_PREFIX } from '../../../shared/config/resources.ts';
import { UsageError } from './errors.ts';

/**
 * Options every command shares, defined once: the database URLs (`--source-url`,
 * `--warehouse-url`, falling back to TOTESYS_URL / WAREHOUSE_URL) and the local state folder.
 */

/** The git-ignored folder (under the working directory) that holds all local state. */
export const DEFAULT_STATE_DIR = '.totes';

export interface SourceUrlOption {
  readonly sourceUrl?: string;
}
export interface WarehouseUrlOption {
  readonly warehouseUrl?: string;
}
export interface StateDirOption {
  readonly stateDir?: string;
}

export function addSourceUrlOption(command: Command, required = true): Command {
  return command.option(
    '--source-url <url>',
    `totesys (source) database, postgres:// URL (default: $${ENV.totesysUrl}${required ? '' : ', else embedded'})`,
  );
}

export function addWarehouseUrlOption(command: Command, required = true): Command {
  return command.option(
    '--warehouse-url <url>',
    `warehouse database, postgres:// URL (default: $${ENV.warehouseUrl}${required ? '' : ', else embedded'})`,
  );
}

export function addStateDirOption(command: Command): Command {
  return command.option(
    '--state-dir <dir>',
    `folder for local state: embedded PostgreSQL data, lake, queues (default: ./${DEFAULT_STATE_DIR})`,
  );
}

function checkedUrl(value: string, from: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`${from}: not a URL (expected postgres://user:password@host:port/database)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`${from}: expected a postgres:// URL, got ${parsed.protocol}//...`);
  }
  return value;
}

function optionalUrl(
  given: string | undefined,
  flag: string,
  envName: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (given !== undefined && given !== '') return checkedUrl(given, flag);
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return checkedUrl(fromEnv, envName);
  return undefined;
}

/** The source URL from `--source-url` or TOTESYS_URL, or undefined when neither is set. */
export function optionalSourceUrl(options: SourceUrlOption, env: NodeJS.ProcessEnv = process.env) {
  return optionalUrl(options.sourceUrl, '--source-url', ENV.totesysUrl, env);
}

/** The warehouse URL from `--warehouse-url` or WAREHOUSE_URL, or undefined when neither is set. */
export function optionalWarehouseUrl(options: WarehouseUrlOption, env: NodeJS.ProcessEnv = process.env) {
  return optionalUrl(options.warehouseUrl, '--warehouse-url', ENV.warehouseUrl, env);
}

/** The source URL, or a UsageError naming both ways to give it. */
export function resolveSourceUrl(options: SourceUrlOption, env: NodeJS.ProcessEnv = process.env): string {
  const url = optionalSourceUrl(options, env);
  if (url === undefined)
    throw new UsageError(`no source database: pass --source-url or set ${ENV.totesysUrl}`);
  return url;
}

/** The warehouse URL, or a UsageError naming both ways to give it. */
export function resolveWarehouseUrl(
  options: WarehouseUrlOption,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const url = optionalWarehouseUrl(options, env);
  if (url === undefined) {
    throw new UsageError(`no warehouse database: pass --warehouse-url or set ${ENV.warehouseUrl}`);
  }
  return url;
}

/** Absolute state folder: `--state-dir`, else `.totes` under the working directory. */
export function resolveStateDir(options: StateDirOption, cwd: string = process.cwd()): string {
  return path.resolve(
    cwd,
    options.stateDir && options.stateDir !== '' ? options.stateDir : DEFAULT_STATE_DIR,
  );
}

/** Commander argument parser for a positive finite number (`--scale 0.05`). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('expected a positive number.');
  }
  return n;
}

/** Commander argument parser for a non-negative integer (`--seed 42`, `--duration 0`). */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a whole number (0 or more).');
  }
  return n;
}

/** Environment variable for `--prefix` (the deployment prefix of every AWS resource name). */
export const PREFIX_ENV = 'TOTES_PREFIX';

export interface AwsOptions extends StateDirOption {
  readonly aws?: boolean;
  readonly prefix?: string;
}

/**
 * `--aws` and `--prefix` beside `--state-dir`: a command that works on the local stack and on an
 * AWS deployment (region and credentials from the standard AWS chain: AWS_PROFILE, AWS_REGION, ...).
 * `--prefix` has no commander default so that TOTES_PREFIX can apply (see resolvePrefix).
 */
export function addAwsOptions(command: Command): Command {
  addStateDirOption(command);
  return command
    .option(
      '--aws',
      'act on the AWS deployment (account, region and credentials from the standard AWS chain) instead of the local stack',
    )
    .option(
      '--prefix <prefix>',
      `deployment prefix of the AWS resource names (default: $${PREFIX_ENV}, else ${DEFAULT_PREFIX})`,
    );
}

/** The Terraform's own rule for `var.prefix` (infra-terraform/variables.tf). */
const PREFIX_PATTERN = /^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/;

/** The deployment prefix: `--prefix`, else TOTES_PREFIX, else `totes`; a UsageError when malformed. */
export function resolvePrefix(options: { prefix?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const given =
    options.prefix !== undefined && options.prefix !== ''
      ? { value: options.prefix, from: '--prefix' }
      : env[PREFIX_ENV]
        ? { value: env[PREFIX_ENV], from: PREFIX_ENV }
        : { value: DEFAULT_PREFIX, from: 'default' };
  if (!PREFIX_PATTERN.test(given.value)) {
    throw new UsageError(
      `${given.from}: ${JSON.stringify(given.value)} is not a deployment prefix (lower-case letters, digits and dashes)`,
    );
  }
  return given.value;
}

/** `--aws` and `--state-dir` name two different places: refuse both at once. */
export function checkAwsOrStateDir(options: AwsOptions): void {
  if (options.aws && options.stateDir) throw new UsageError('give either --aws or --state-dir, not both');
}
