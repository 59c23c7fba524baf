/**
 * The load's configuration, read and checked once per container (in the consumer's `init`), so a
 * misconfigured function fails its invocation where Lambda's Errors metric sees it, as the
 * transform does, instead of sending every record to the DLQ one by one.
 */
import { ConfigurationError, ENV, maxObjectBytes } from '../../../shared/config/env.ts';

export interface LoadConfig {
  /** The largest processed object read whole (MAX_OBJECT_BYTES, default DEFAULT_MAX_OBJECT_BYTES). */
  readonly maxObjectBytes: number;
  /**
   * Where the warehouse URL comes from: WAREHOUSE_URL (local runs), else the Secrets Manager secret
   * WAREHOUSE_SECRET_ID (resolved when the pool is first made). Null when the caller brings its
   * own pool (tests, benchmarks).
   */
  readonly warehouse: { readonly url: string } | { readonly secretId: string } | null;
}

export function readLoadConfig(env: NodeJS.ProcessEnv, options: { readonly ownPool: boolean }): LoadConfig {
  const limit = maxObjectBytes(env);
  if (options.ownPool) return { maxObjectBytes: limit, warehouse: null };
  const url = env[ENV.warehouseUrl];
  if (url) return { maxObjectBytes: limit, warehouse: { url } };
  const secretId = env[ENV.warehouseSecretId];
  if (secretId) return { maxObjectBytes: limit, warehouse: { secretId } };
  throw new ConfigurationError(`set ${ENV.warehouseUrl} (a postgres:// URL) or ${ENV.warehouseSecretId}`);
}
