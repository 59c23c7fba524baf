import type { ReplayReport, ReplayUnitReport } from './replay.ts';

function rowsText(rows: Readonly<Record<string, number>>): string {
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const tables = Object.entries(rows)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table} ${n.toLocaleString('en-US')}`)
    .join(', ');
  return `${total.toLocaleString('en-US')} rows${tables ? ` (${tables})` : ''}`;
}

/** One line per unit. */
export function renderUnit(unit: ReplayUnitReport): string {
  if (unit.status === 'failed') return `FAILED ${unit.runId}: ${unit.error ?? 'unknown error'}`;
  const verb = unit.status === 'would-replay' ? 'would replay' : 'replayed';
  return `${verb} ${unit.runId} (extracted ${unit.extractedAt}) as generation ${unit.generation} (replaces ${unit.replaces}): ${rowsText(unit.rows)}`;
}

export function renderReplayReport(report: ReplayReport): string {
  const lines = [
    `replay of ${report.target}, units extracted in [${report.window.from}, ${report.window.to})${report.dryRun ? ' — dry run, nothing written' : ''}`,
    ...report.units.map(renderUnit),
  ];
  const { units, rows, failed } = report.totals;
  if (units === 0) {
    lines.push('nothing to replay: no unit of the ingestion bucket was extracted in that window');
  } else if (report.dryRun) {
    lines.push(`${units} unit(s), ${rows.toLocaleString('en-US')} source rows would be re-processed`);
  } else {
    lines.push(
      `${units - failed} of ${units} unit(s) queued for the transform as a new generation${failed ? `, ${failed} FAILED` : ''}; the pipeline now transforms and loads them (each replaces its earlier generation in one transaction). Then: totes reconcile`,
    );
  }
  return lines.join('\n');
}
