/**
 * Pure: the privilege-free commit horizon (no I/O). README.md beside this file states the rule, its
 * proof and what stays outside it; in short:
 *
 * A run's reading R (taken before its snapshot) records the database clock `at` and the virtual
 * transaction id of every other transaction then in progress in the source database (pg_locks: each
 * transaction holds the lock on its own virtual xid from its start to its end, and pg_locks is
 * readable by any role, unlike pg_stat_activity's xact_start). A reading C taken later, still
 * before some snapshot, *settles* R when none of R's transactions is still in progress at C and no
 * prepared (two-phase) transaction is pending. Then every transaction that is not committed in that
 * snapshot either began after R (so its now() and every stamp from its own clock is >= R.at) or
 * ended without committing. So the watermark may move to floor_ms(R.at): every row the snapshot
 * cannot see is stamped at or after it and the next run's `last_updated >= watermark` read finds it.
 *
 * Checkpoints that C does not settle are kept (in the state table) and settled by a later run.
 */
import { floorToMs, type Timestamp } from './window.ts';

/** What one reading shows about the transactions in progress in the source database. */
export interface TransactionsInProgress {
  /** Virtual transaction ids (`backend/local`) of every OTHER transaction in progress, this database. */
  readonly transactions: readonly string[];
  /** Prepared (two-phase) transactions of this database not yet committed or rolled back. */
  readonly preparedTransactions: number;
  /** pg_postmaster_start_time(): a restart ends every transaction (virtual ids restart with it). */
  readonly serverStart: string;
}

/** A reading kept until a later reading settles it. */
export interface HorizonCheckpoint {
  /** Database clock (UTC wall clock, microseconds) read before the transactions were listed. */
  readonly at: string;
  /** The transactions in progress then, still in progress at the last reading that saw them. */
  readonly transactions: readonly string[];
  readonly serverStart: string;
}

export interface SettledHorizon {
  /** floor_ms(at) of the newest checkpoint settled by `current`; null when none is. */
  readonly settled: Timestamp | null;
  /** Checkpoints newer than the settled one that `current` does not settle (oldest first). */
  readonly pending: HorizonCheckpoint[];
}

/** Most checkpoints kept (one per run while a transaction stays open: 2 hours at 5 minutes). */
export const DEFAULT_MAX_PENDING_CHECKPOINTS = 24;
/** Most transactions one checkpoint may list (DynamoDB items stay far below 400 KB). */
export const MAX_CHECKPOINT_TRANSACTIONS = 1_000;

/** The checkpoint a reading makes: its clock and what was in progress then. */
export function checkpointOf(at: string, reading: TransactionsInProgress): HorizonCheckpoint {
  return { at, transactions: [...reading.transactions].sort(), serverStart: reading.serverStart };
}

/** Transactions of `checkpoint` still in progress at `current` (none after a server restart). */
export function stillInProgress(checkpoint: HorizonCheckpoint, current: TransactionsInProgress): string[] {
  // Virtual ids restart with the server: after a restart every transaction of the checkpoint has
  // ended, and an equal id is a new transaction.
  if (checkpoint.serverStart !== current.serverStart) return [];
  const now = new Set(current.transactions);
  return checkpoint.transactions.filter((id) => now.has(id));
}

/**
 * True when every transaction in progress at `checkpoint` has ended by `current`. A pending prepared
 * transaction settles nothing: it no longer holds a virtual id, and may have been in progress at any
 * checkpoint.
 */
export function isSettled(checkpoint: HorizonCheckpoint, current: TransactionsInProgress): boolean {
  return current.preparedTransactions === 0 && stillInProgress(checkpoint, current).length === 0;
}

/**
 * Settles the checkpoints (the stored ones plus this run's) against the reading `current`, taken
 * before this run's snapshot. If a checkpoint is settled, so is every older one (a transaction in
 * progress at the older one and at `current` was in progress at the newer one too), so the newest
 * settled one gives the bound and everything at or before it is dropped. The others are kept with
 * their ended transactions removed, at most `maxPending` of them (the newest: dropping one only
 * delays the watermark, never loses a row).
 */
export function settleCheckpoints(
  checkpoints: readonly HorizonCheckpoint[],
  current: TransactionsInProgress,
  maxPending = DEFAULT_MAX_PENDING_CHECKPOINTS,
): SettledHorizon {
  const ordered = [...checkpoints].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  let settledAt: string | null = null;
  for (const checkpoint of ordered) if (isSettled(checkpoint, current)) settledAt = checkpoint.at;
  const pending = ordered
    .filter((c) => settledAt === null || c.at > settledAt)
    .filter((c) => !isSettled(c, current))
    .map((c) => ({ ...c, transactions: stillInProgress(c, current), serverStart: current.serverStart }))
    .filter((c) => c.transactions.length <= MAX_CHECKPOINT_TRANSACTIONS);
  return {
    settled: settledAt === null ? null : floorToMs(settledAt),
    pending: pending.slice(Math.max(0, pending.length - maxPending)),
  };
}
