/**
 * Pipeline state: what the stages write about themselves and what the ops commands read back.
 * Every reader takes its clients (DynamoDB document client, SQS client, slonik pool) and table
 * names as parameters and reads no environment, so the same code serves the Lambdas, the local
 * stack and `--aws`.
 *
 * - keys.ts: the state table's item keys
 * - watermarks.ts, lease.ts, runs.ts: the extract's watermarks, run lease, runs and heartbeat
 * - shared/failures: failure records of the consumers (re-exported here)
 * - freshness.ts: the load ledger's freshness and the source's oldest unloaded change
 * - queues.ts: queue depth
 * - quarantine.ts: rows held back per row (pipeline.quarantine)
 */
export {
  type DescribedError,
  describeError,
  type FailureInput,
  type FailureRecord,
  type FailureStore,
  failurePk,
  failureSk,
  failureStore,
} from '../failures/index.ts';
export { readSchemaDrift, type SchemaDriftRecord } from './drift.ts';
export {
  type LedgerFreshness,
  type LoadedUnit,
  ledgerFreshness,
  loadedUnitsOfRun,
  newestLoadedSourceUpdate,
  oldestUnloadedSourceChangeAge,
  rowsLoadedByRun,
} from './freshness.ts';
export { DRIFT_KEY, HEARTBEAT_KEY, LEASE_KEY, RUN_PK, WATERMARK_PK } from './keys.ts';
export { acquireLease, type LeaseHolder, type LeaseRequest, releaseLease } from './lease.ts';
export { countHeldRows, listHeldRows, QUARANTINE_ROW, type QuarantineRow } from './quarantine.ts';
export { type QueueDepth, queueDepth, queueUrl, totalMessages } from './queues.ts';
export {
  lastSuccessfulExtract,
  latestRuns,
  RUN_RECORD_TTL_SECONDS,
  type RunRecord,
  type RunStatus,
  readHeartbeat,
  recordHeartbeat,
  recordRun,
  type StateItem,
} from './runs.ts';
export {
  emptyWatermark,
  readWatermarks,
  saveWatermark,
  WatermarkConflictError,
  type WatermarkRecord,
} from './watermarks.ts';
