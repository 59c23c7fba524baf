import type { HistoryResult } from './history.ts';
import { MISMATCH_KINDS, type Mismatch, type ReconcileResult, type TableCounts } from './types.ts';

/** Text of a compared value: quoted so whitespace and empty strings show, NULL for null. */
export function formatValue(value: string | null | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  return JSON.stringify(value);
}

/** One mismatch on one line: kind, id (and version), column, expected vs actual. */
export function formatMismatch(m: Mismatch): string {
  const parts = [m.kind.padEnd(12), `id=${m.id}`];
  if (m.version) parts.push(`version=${m.version}`);
  switch (m.kind) {
    case 'missing':
      parts.push('in the source, not in the warehouse');
      break;
    case 'extra':
      parts.push('in the warehouse, not in the source');
      break;
    case 'duplicate':
      parts.push(`stored ${m.actual ?? '?'} times (expected once)`);
      break;
    case 'missing-date':
      parts.push(`referenced by ${m.column ?? 'a fact'}, absent from dim_date`);
      break;
    default:
      parts.push(`${m.column ?? '?'}: expected ${formatValue(m.expected)}, actual ${formatValue(m.actual)}`);
  }
  return parts.join('  ');
}

function describeCounts(c: TableCounts): string {
  const parts: string[] = [];
  if (c.sourceRows !== null) parts.push(`source ${c.sourceRows}`);
  parts.push(`warehouse ${c.warehouseRows}`);
  if (c.warehouseIds !== undefined) parts.push(`ids ${c.warehouseIds}`);
  parts.push(`compared ${c.compared}`);
  if (c.referencedDates !== undefined) parts.push(`referenced dates ${c.referencedDates}`);
  return parts.join(', ');
}

export interface RenderOptions {
  /** Mismatches shown per table (default 10). */
  readonly limit?: number;
}

/**
 * A readable diff: one line per table with its counts, the first `limit` mismatches of each
 * table with expected vs actual, then the totals per kind and the verdict.
 */
export function renderReconcileReport(result: ReconcileResult, options: RenderOptions = {}): string {
  const limit = options.limit ?? 10;
  const lines: string[] = [];
  const byTable = new Map<string, Mismatch[]>();
  for (const m of result.mismatches) {
    const list = byTable.get(m.table) ?? [];
    list.push(m);
    byTable.set(m.table, list);
  }
  const width = Math.max(0, ...Object.keys(result.counts).map((t) => t.length));
  for (const [table, counts] of Object.entries(result.counts)) {
    const status =
      counts.mismatches === 0 ? 'ok' : `${counts.mismatches} mismatch${counts.mismatches === 1 ? '' : 'es'}`;
    lines.push(`${table.padEnd(width)}  ${status.padEnd(16)}  (${describeCounts(counts)})`);
    const shown = (byTable.get(table) ?? []).slice(0, limit);
    for (const m of shown) lines.push(`    ${formatMismatch(m)}`);
    const hidden = counts.mismatches - shown.length;
    if (hidden > 0) lines.push(`    … and ${hidden} more`);
  }
  const { summary } = result;
  lines.push('');
  if (result.ok) {
    lines.push(
      `OK: the warehouse matches the source (${summary.tablesChecked} tables, ${summary.elapsedMs} ms)`,
    );
  } else {
    const kinds = MISMATCH_KINDS.filter((k) => summary.byKind[k] > 0).map((k) => `${k} ${summary.byKind[k]}`);
    lines.push(
      `MISMATCH: ${summary.totalMismatches} mismatch${summary.totalMismatches === 1 ? '' : 'es'} (${kinds.join(', ')}) in ${summary.tablesChecked} tables, ${summary.elapsedMs} ms`,
    );
  }
  return lines.join('\n');
}

/** History-mode result: per table, the first lost/duplicated versions, then `lost=L duplicated=D`. */
export function renderHistoryReport(result: HistoryResult, options: RenderOptions = {}): string {
  const limit = options.limit ?? 10;
  const lines: string[] = [];
  for (const [table, c] of Object.entries(result.perTable)) {
    lines.push(`${table}: checked ${c.checked}, lost ${c.lost}, duplicated ${c.duplicated}`);
    const lost = result.lostVersions.filter((v) => v.table === table).slice(0, limit);
    for (const v of lost) lines.push(`    lost        id=${v.id}  version=${v.lastUpdated}`);
    const dup = result.duplicatedVersions.filter((v) => v.table === table).slice(0, limit);
    for (const v of dup)
      lines.push(`    duplicated  id=${v.id}  version=${v.lastUpdated}  copies=${v.copies}`);
  }
  lines.push(`lost=${result.lost} duplicated=${result.duplicated}`);
  return lines.join('\n');
}
