/**
 * Database faults through slonik's own interface (interceptors), for the pools the pipeline's
 * stages create (application names totes-extract and totes-load); the harness's own pools (seed,
 * simulate, reconcile) are never touched.
 */
import type { Interceptor } from 'slonik';
import { type PoolInterceptorFactory, registerPoolInterceptors } from '../../../../shared/db/pool.ts';
import { type FaultInjector, InjectedDatabaseError } from './injector.ts';

/** Pools whose statements can fail. */
export const FAULTED_APPLICATIONS: ReadonlySet<string> = new Set(['totes-extract', 'totes-load']);

/** The statement the load runs last in its transaction, right before COMMIT. */
const LEDGER_UPDATE = /^\s*UPDATE\s+"pipeline"\."load_ledger"/i;

export function faultInterceptor(faults: FaultInjector): Interceptor {
  return {
    name: 'totes-fault-injection',
    beforeQueryExecution: (_context, query) => {
      if (faults.draw('pg.query')) {
        throw new InjectedDatabaseError(
          `injected fault: terminating connection before "${query.sql.trim().slice(0, 40)}..."`,
          '08006',
        );
      }
      return null;
    },
    afterQueryExecution: (context, query) => {
      // The transaction is still open: failing here rolls it back, as a failed COMMIT would.
      if (context.transactionId !== null && LEDGER_UPDATE.test(query.sql) && faults.draw('pg.commit')) {
        throw new InjectedDatabaseError(
          'injected fault: could not serialize access due to concurrent update (at commit)',
          '40001',
        );
      }
      return null;
    },
  };
}

/** Registers the interceptor for the stages' pools created from now on; returns the undo. */
export function installPostgresFaults(faults: FaultInjector): () => void {
  const interceptor = faultInterceptor(faults);
  const factory: PoolInterceptorFactory = (_url, options) =>
    options.applicationName !== undefined && FAULTED_APPLICATIONS.has(options.applicationName)
      ? [interceptor]
      : [];
  return registerPoolInterceptors(factory);
}
