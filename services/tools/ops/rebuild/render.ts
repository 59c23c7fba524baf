import { WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';
import type { RebuildSummary } from './rebuild.ts';

/** The summary as text: units, rows per table (received / inserted / updated), time, failures. */
export function renderRebuildSummary(summary: RebuildSummary): string {
  const { units } = summary;
  const lines = [
    `rebuild from s3://${summary.bucket}${summary.interrupted ? ' (interrupted)' : ''}: ` +
      `${units.listed} units, ${units.applied} applied, ${units.alreadyApplied} already applied` +
      `${units.failed ? `, ${units.failed} failed` : ''} in ${summary.seconds} s`,
  ];
  const tables = WAREHOUSE_TABLES.filter((t) => summary.rows[t] !== undefined);
  if (tables.length > 0) {
    const width = Math.max(...tables.map((t) => t.length), 'table'.length);
    lines.push(
      `  ${'table'.padEnd(width)}  ${'received'.padStart(10)}  ${'inserted'.padStart(10)}  ${'updated'.padStart(10)}`,
    );
    for (const table of tables) {
      const c = summary.rows[table];
      if (!c) continue;
      lines.push(
        `  ${table.padEnd(width)}  ${String(c.received).padStart(10)}  ${String(c.inserted).padStart(10)}  ${String(c.updated).padStart(10)}`,
      );
    }
  }
  for (const failure of summary.failures) lines.push(`  failed: ${failure.key}: ${failure.message}`);
  if (units.failed > summary.failures.length)
    lines.push(`  ... and ${units.failed - summary.failures.length} more failed`);
  return lines.join('\n');
}
