import type { AttachedStack } from '../../local-runtime/attach.ts';

/**
 * The environment that points everyday tools at a running local stack: the AWS CLI and SDKs at the
 * stand-ins (per-service endpoint variables, region, the stand-ins' dummy credentials), psql and
 * other libpq clients at the warehouse (PG*), and the pipeline's own URL variables.
 */

export interface EnvOptions {
  /** Include PGHOST / PGPORT / PGUSER / PGPASSWORD / PGDATABASE (for the warehouse). */
  readonly pg: boolean;
}

type Stack = Pick<
  AttachedStack,
  'stateDir' | 'endpoints' | 'awsEnv' | 'region' | 'sourceUrl' | 'warehouseUrl'
>;

/** libpq's variables for a postgres:// URL (decoded: the URL may percent-encode the password). */
export function pgVariables(url: string): Record<string, string> {
  const parsed = new URL(url);
  const vars: Record<string, string> = {
    PGHOST: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    PGPORT: parsed.port || '5432',
  };
  if (parsed.username) vars.PGUSER = decodeURIComponent(parsed.username);
  if (parsed.password) vars.PGPASSWORD = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database) vars.PGDATABASE = database;
  return vars;
}

/** Variable → value, in the order they are printed. */
export function stackVariables(stack: Stack, options: EnvOptions): Record<string, string> {
  const vars: Record<string, string> = {
    TOTES_STATE_DIR: stack.stateDir,
    TOTESYS_URL: stack.sourceUrl,
    WAREHOUSE_URL: stack.warehouseUrl,
    AWS_ENDPOINT_URL_S3: stack.endpoints.s3,
    AWS_ENDPOINT_URL_SQS: stack.endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
    AWS_REGION: stack.region,
    // The AWS CLI reads AWS_DEFAULT_REGION; the SDKs read AWS_REGION.
    AWS_DEFAULT_REGION: stack.region,
    AWS_ACCESS_KEY_ID: stack.awsEnv.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: stack.awsEnv.AWS_SECRET_ACCESS_KEY ?? 'local',
  };
  return options.pg ? { ...vars, ...pgVariables(stack.warehouseUrl) } : vars;
}

/** A POSIX shell word that stands for exactly `value`: single quotes, each ' written as '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export NAME='value'` lines, for `eval "$(npx totes env)"`. */
export function renderExports(vars: Readonly<Record<string, string>>): string {
  return Object.entries(vars)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n');
}

/** `unset NAME ...`: undoes renderExports (before `--aws` commands, say). */
export function renderUnset(names: readonly string[]): string {
  return `unset ${names.join(' ')}`;
}

/** Every name `totes env` may set, for `--unset`. */
export const ALL_ENV_NAMES = [
  'TOTES_STATE_DIR',
  'TOTESYS_URL',
  'WAREHOUSE_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'PGHOST',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGDATABASE',
] as const;
