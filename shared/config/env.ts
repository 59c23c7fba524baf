/**
 * Every environment variable the Lambdas read, by function. The Terraform sets exactly these
 * (a test compares the two), and the local runtime sets them for the handlers it runs.
 */
export const ENV = {
  ingestionBucket: 'INGESTION_BUCKET',
  processedBucket: 'PROCESSED_BUCKET',
  stateTable: 'PIPELINE_STATE_TABLE',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  /** Secrets Manager secret holding the source database credentials (on AWS). */
  totesysSecretId: 'TOTESYS_SECRET_ID',
  /** A postgres:// URL for the source (local runs; takes precedence over the secret). */
  totesysUrl: 'TOTESYS_URL',
  warehouseSecretId: 'WAREHOUSE_SECRET_ID',
  warehouseUrl: 'WAREHOUSE_URL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /** Optional extract tuning (defaults apply when unset): watermark safety margin, rows per part. */
  extractSafetyMarginMs: 'EXTRACT_SAFETY_MARGIN_MS',
  extractPartSize: 'EXTRACT_PART_SIZE',
  extractUnitRows: 'EXTRACT_UNIT_ROWS',
  extractRunRows: 'EXTRACT_RUN_ROWS',
  /**
   * Optional memory budget of the transform and the load: the largest single S3 object (bytes)
   * one invocation reads whole (default DEFAULT_MAX_OBJECT_BYTES). A larger object fails its record
   * with ObjectTooLargeError before its body is read.
   */
  maxObjectBytes: 'MAX_OBJECT_BYTES',
} as const;

/** 64 MiB: ~3× the largest extract part (20,000 rows as JSON) and far above a Parquet part. */
export const DEFAULT_MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/** The object size budget from MAX_OBJECT_BYTES (a positive integer), else the default. */
export function maxObjectBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[ENV.maxObjectBytes];
  if (raw === undefined || raw === '') return DEFAULT_MAX_OBJECT_BYTES;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(
      `environment variable ${ENV.maxObjectBytes} must be a positive integer, not ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** What each deployed function is given (URL variables are for local runs only). */
export const FUNCTION_ENV: Readonly<Record<'extract' | 'transform' | 'load', readonly EnvName[]>> = {
  extract: [
    ENV.ingestionBucket,
    ENV.stateTable,
    ENV.totesysSecretId,
    ENV.serviceName,
    ENV.metricsNamespace,
    ENV.logLevel,
  ],
  transform: [
    ENV.ingestionBucket,
    ENV.processedBucket,
    ENV.stateTable,
    ENV.idempotencyTable,
    ENV.serviceName,
    ENV.metricsNamespace,
    ENV.logLevel,
  ],
  load: [
    ENV.processedBucket,
    ENV.stateTable,
    ENV.idempotencyTable,
    ENV.warehouseSecretId,
    ENV.serviceName,
    ENV.metricsNamespace,
    ENV.logLevel,
  ],
};

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Reads a required variable, failing with a message that names it. */
export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`environment variable ${name} is not set`);
  }
  return value;
}
