/**
 * Every `pg` Client gets an 'error' listener when it connects.
 *
 * Why: slonik's pg driver opens one bare `pg.Client` while a pool is created (it reads the type
 * OIDs of the custom parsers) and attaches no 'error' listener to it. When the server resets that
 * connection while the type query runs (`read ECONNRESET`: a server restarting, a proxy or a
 * network dropping it), pg emits 'error' on the client after failing the query, and an
 * EventEmitter without a listener throws: an uncaught exception that ends the process (every
 * record of the Lambda's batch, `totes run` itself), where the rejected query alone should have
 * failed the one record. Reproduced by test/integration/shared-db/unresponsive-server.test.ts.
 *
 * The listener does nothing else: pg has already rejected the client's queries with the same error
 * (`_errorAllQueries`), which is how the caller learns of it. Clients slonik's pool creates keep
 * their own listener (it destroys the broken connection); this one sits beside it.
 */
import pg from 'pg';

const GUARDED = Symbol.for('totes.pg-client-error-guard');

type ConnectablePrototype = { connect: (...args: unknown[]) => unknown; [GUARDED]?: true };

const ignore = () => {};

/** Idempotent; applied by shared/db/pool.ts before any pool exists. */
export function guardPgClientErrors(): void {
  const prototype = pg.Client.prototype as unknown as ConnectablePrototype;
  if (prototype[GUARDED]) return;
  const connect = prototype.connect;
  prototype.connect = function guardedConnect(this: pg.Client, ...args: unknown[]) {
    this.on('error', ignore);
    return connect.apply(this, args);
  };
  prototype[GUARDED] = true;
}
