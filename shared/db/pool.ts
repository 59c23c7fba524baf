import { createPool, type DatabasePool, type DriverTypeParser, type Interceptor } from 'slonik';
import {
  connectionFailureReason,
  DatabaseUnreachableError,
  describeServer,
  isConnectionFailure,
} from './errors.ts';
import { guardPgClientErrors } from './pg-client-errors.ts';
import { resultParserInterceptor } from './result-parser.ts';

guardPgClientErrors();

/**
 * Values keep PostgreSQL's own text so nothing passes through binary floating point or a time
 * zone: numeric stays a decimal string (money is exact), timestamp without time zone stays the
 * UTC wall-clock text ('2024-05-01 10:11:12.345'), date stays 'YYYY-MM-DD', time stays text.
 * int8 (count(*), sums of ints) becomes a number, refusing any value a double cannot hold.
 */
export const EXACT_TYPE_PARSERS: readonly DriverTypeParser[] = [
  { name: 'numeric', parse: (value) => value },
  { name: 'timestamp', parse: (value) => value },
  { name: 'timestamptz', parse: (value) => value },
  { name: 'date', parse: (value) => value },
  { name: 'time', parse: (value) => value },
  {
    name: 'int8',
    parse: (value) => {
      const n = Number(value);
      if (!Number.isSafeInteger(n))
        throw new RangeError(`int8 value ${value} does not fit a JavaScript number`);
      return n;
    },
  },
];

export interface PoolOptions {
  /** Lambdas keep this small: one container handles one batch at a time. */
  readonly maximumPoolSize?: number;
  readonly statementTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
  readonly applicationName?: string;
}

/** Chooses extra slonik interceptors for a pool about to be created (none by default). */
export type PoolInterceptorFactory = (url: string, options: PoolOptions) => readonly Interceptor[];

const interceptorFactories = new Set<PoolInterceptorFactory>();

/**
 * Adds slonik interceptors (slonik's own interface) to every pool created afterwards in this
 * process; returns the undo. Empty by default: only the local runtime's fault injection uses it.
 * Every pool also gets the result parser (./result-parser.ts) that makes `sql.type` rows checked.
 */
export function registerPoolInterceptors(factory: PoolInterceptorFactory): () => void {
  interceptorFactories.add(factory);
  return () => {
    interceptorFactories.delete(factory);
  };
}

/** Creates a slonik pool with the project's exact type parsers and explicit timeouts. */
export async function createDatabasePool(url: string, options: PoolOptions = {}): Promise<DatabasePool> {
  const withName = new URL(url);
  if (options.applicationName && !withName.searchParams.has('application_name')) {
    withName.searchParams.set('application_name', options.applicationName);
  }
  const interceptors = [
    ...[...interceptorFactories].flatMap((factory) => factory(url, options)),
    // Last, so it checks the rows the other interceptors hand on.
    resultParserInterceptor,
  ];
  const connectionTimeout = options.connectionTimeoutMs ?? 5_000;
  let pool: DatabasePool;
  try {
    pool = await createPool(withName.toString(), {
      typeParsers: EXACT_TYPE_PARSERS,
      interceptors,
      maximumPoolSize: options.maximumPoolSize ?? 4,
      statementTimeout: options.statementTimeoutMs ?? 60_000,
      idleTimeout: options.idleTimeoutMs ?? 10_000,
      connectionTimeout,
      // The pipeline retries whole units itself (with backoff, see the load stage); slonik's own
      // silent retries would hide transient failures from the metrics.
      connectionRetryLimit: 1,
    });
  } catch (error) {
    // slonik connects once while creating the pool (to read type OIDs) and passes pg's own error
    // on: a bare `Error: timeout expired` for a server that does not answer. Named here, so a
    // stage fails the record with a class the on-call engineer can read and a command exits 2.
    if (!isConnectionFailure(error)) throw error;
    const why = connectionFailureReason(error);
    throw new DatabaseUnreachableError(
      `cannot reach the database at ${describeServer(url)}: ${why === 'timeout expired' ? `no answer within the connection timeout (${connectionTimeout} ms)` : why}`,
      { cause: error },
    );
  }
  // slonik also emits every query error on the pool; with no listener Node would replace the
  // database's own error (and its SQLSTATE) with ERR_UNHANDLED_ERROR. The caller sees the error
  // through the rejected query either way.
  pool.on('error', () => {});
  return pool;
}
