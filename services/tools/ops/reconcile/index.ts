export {
  type DuplicatedVersion,
  type FactSourceTable,
  type HistoryOptions,
  type HistoryResult,
  type RecordedVersion,
  reconcileHistory,
  snapshotSourceVersions,
  VersionRecorder,
} from './history.ts';
export {
  DEFAULT_MAX_MISMATCHES_PER_TABLE,
  DEFAULT_PAGE_SIZE,
  RECONCILED_TABLES,
  reconcile,
} from './reconcile.ts';
export { formatMismatch, formatValue, renderHistoryReport, renderReconcileReport } from './render.ts';
export type {
  Mismatch,
  MismatchKind,
  ReconcileOptions,
  ReconcileResult,
  ReconcileSummary,
  TableCounts,
} from './types.ts';
export { canonicalDecimal, currencyName, dateAttributes, splitTimestamp } from './values.ts';
