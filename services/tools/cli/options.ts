import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ENV } from '../../../shared/config/env.ts';
import { DEFAULT_PREFIX } from '../../../shared/config/resources.ts';
import { UsageError } from './errors.ts';

/**
 * Options every command shares, defined once: the database URLs (`--source-url`,
 * `--warehouse-url`, falling back to TOTESYS_URL / WAREHOUSE_URL), the local state folder
 * (`--state-dir`, TOTES_STATE_DIR) and the AWS prefix (`--prefix`, TOTES_PREFIX); and the helpers
 * every command uses for its own options, so the conventions hold mechanically (README
 * "Conventions"): `envOption` binds a flag to its TOTES_* variable (commander reads it and
 * `--help` shows "env: TOTES_..."), `addExamples` ends a command's help with examples.
 */

/** The git-ignored folder (under the working directory) that holds all local state. */
export const DEFAULT_STATE_DIR = '.totes';

/** Every environment variable of a `totes` flag starts with this. */
export const ENV_PREFIX = 'TOTES_';

/** `--drain-timeout <seconds>` → `TOTES_DRAIN_TIMEOUT`: the default name of a flag's variable. */
export function envNameOf(flags: string): string {
  const long = /--([a-z0-9-]+)/i.exec(flags)?.[1];
  if (!long) throw new Error(`no long flag in ${JSON.stringify(flags)}`);
  return `${ENV_PREFIX}${long.replace(/-/g, '_').toUpperCase()}`;
}

export interface EnvOptionSettings<T> {
  /** Parses and checks the value (from the flag or the variable alike). */
  readonly parse?: (value: string, previous: T) => T;
  readonly default?: T;
  /** Shown as "(default: ...)" where the value itself would not say it well. */
  readonly defaultDescription?: string;
  /** Override the derived TOTES_<FLAG> name (when one variable sets the same thing in several commands). */
  readonly env?: string;
  readonly choices?: readonly string[];
}

/**
 * An option bound to its environment variable: the flag wins over the variable, the variable over
 * the default. Every flag that has a default is declared this way.
 */
export function envOption<T = string>(
  flags: string,
  description: string,
  settings: EnvOptionSettings<T> = {},
): Option {
  const option = new Option(flags, description).env(settings.env ?? envNameOf(flags));
  if (settings.choices) option.choices(settings.choices);
  if (settings.parse) option.argParser(settings.parse);
  if (settings.default !== undefined) option.default(settings.default, settings.defaultDescription);
  return option;
}

/** Ends the command's `--help` with examples: `[command line, what it does]`. */
export function addExamples(command: Command, examples: ReadonlyArray<readonly [string, string]>): Command {
  const width = Math.max(...examples.map(([line]) => line.length));
  const text = examples.map(([line, what]) => `  $ ${line.padEnd(width)}  # ${what}`).join('\n');
  return command.addHelpText('after', `\nExamples:\n${text}\n`);
}

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
  return command.addOption(
    new Option(
      '--source-url <url>',
      `totesys (source) database, postgres:// URL${required ? '' : ' (default: the embedded one)'}`,
    ).env(ENV.totesysUrl),
  );
}

export function addWarehouseUrlOption(command: Command, required = true): Command {
  return command.addOption(
    new Option(
      '--warehouse-url <url>',
      `warehouse database, postgres:// URL${required ? '' : ' (default: the embedded one)'}`,
    ).env(ENV.warehouseUrl),
  );
}

export function addStateDirOption(command: Command): Command {
  return command.addOption(
    envOption(
      '--state-dir <dir>',
      `folder for local state: embedded PostgreSQL data, lake, queues, logs (default: ./${DEFAULT_STATE_DIR})`,
    ),
  );
}

/**
 * `--prefix` / TOTES_PREFIX: the name prefix of the deployment's resources. No commander default,
 * so resolvePrefix can tell where the value came from and apply `totes` itself.
 */
export function addPrefixOption(
  command: Command,
  description = 'deployment prefix of the AWS resource names',
): Command {
  return command.addOption(
    envOption('--prefix <prefix>', `${description} (default: ${DEFAULT_PREFIX})`, { env: PREFIX_ENV }),
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
  // Commander copies the variable into the option (`.env()`); name the variable when it came from there.
  if (given !== undefined && given !== '') return checkedUrl(given, given === env[envName] ? envName : flag);
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
 * `--prefix` (TOTES_PREFIX) has no commander default: resolvePrefix applies `totes`.
 */
export function addAwsOptions(command: Command): Command {
  addStateDirOption(command);
  command.option(
    '--aws',
    'act on the AWS deployment (account, region and credentials from the standard AWS chain) instead of the local stack',
  );
  return addPrefixOption(command);
}

/** The Terraform's own rule for `var.prefix` (infra-terraform/variables.tf). */
const PREFIX_PATTERN = /^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/;

/** The deployment prefix: `--prefix`, else TOTES_PREFIX, else `totes`; a UsageError when malformed. */
export function resolvePrefix(options: { prefix?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const given =
    options.prefix !== undefined && options.prefix !== ''
      ? { value: options.prefix, from: options.prefix === env[PREFIX_ENV] ? PREFIX_ENV : '--prefix' }
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
export function checkAwsOrStateDir(options: AwsOptions, env: NodeJS.ProcessEnv = process.env): void {
  // A TOTES_STATE_DIR exported for local work (commander copies it into the option) is no conflict.
  const stateDirGiven = options.stateDir !== undefined && options.stateDir !== env.TOTES_STATE_DIR;
  if (options.aws && stateDirGiven) throw new UsageError('give either --aws or --state-dir, not both');
}

/** `--bundles` / TOTES_BUNDLES: the local runtime runs `dist/<stage>/index.mjs` (`npm run build`), what AWS runs. */
export function addBundlesOption(command: Command): Command {
  return command.addOption(
    envOption(
      '--bundles',
      'run the built Lambda bundles (dist/<stage>/index.mjs from `npm run build`) instead of the TypeScript sources',
    ),
  );
}
