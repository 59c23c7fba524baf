/**
 * `totes quarantine`: the rows held back per row (pipeline.quarantine), each with its reason, its
 * unit and how to release it. Pure: rows in, report and text out.
 *
 * How a row is released:
 * - a `held` source row (the transform could not carry it): ship the fix, then `totes replay` its
 *   unit; the replay's generation carries it exactly once (or holds it again, with the reason the
 *   fixed code gives). The window below is the unit's run id time, one millisecond wide.
 * - a `dependant` fact row: nothing to do for it itself; the load that brings the dimension rows
 *   it waits for releases it automatically (normally the replay of the unit holding them).
 */
import type { QuarantineRow } from '../../../../shared/state/quarantine.ts';
import { escapeForTerminal } from '../dlq/escape.ts';
import { formatTime, runIdTime } from '../replay/window.ts';

export interface QuarantineEntry extends QuarantineRow {
  /** How the row is released (a command, or what it waits for). */
  readonly release: string;
}

export interface QuarantineReport {
  /** Rows held now (not released). */
  readonly held: number;
  /** The listed rows (with --all, released ones too). */
  readonly rows: readonly QuarantineEntry[];
}

/** `totes replay` of exactly one unit: its run id's time, one millisecond wide. */
export function replayCommandFor(runId: string | null): string | null {
  const time = runId ? runIdTime(runId) : null;
  if (time === null) return null;
  return `totes replay --from ${formatTime(time)} --to ${formatTime(time + 1)}`;
}

export function releaseOf(row: QuarantineRow): string {
  if (row.releasedAt) return `released ${row.releasedAt} (${row.releasedBy ?? '?'})`;
  if (row.kind === 'dependant') {
    const waits = row.dependsOn.map((d) => `${d.table} ${d.id}`).join(', ');
    return `released automatically by the load that brings ${waits} (replay the unit that holds it)`;
  }
  const replay = replayCommandFor(row.runId);
  return replay ? `after the fix: ${replay}` : `after the fix: totes replay the unit ${row.unitId}`;
}

export function quarantineReport(rows: readonly QuarantineRow[], heldNow: number): QuarantineReport {
  return { held: heldNow, rows: rows.map((row) => ({ ...row, release: releaseOf(row) })) };
}

/** A row's text could carry escape sequences: shown escaped, never raw (as `dlq show`). */
const safe = escapeForTerminal;

export function renderQuarantine(report: QuarantineReport): string {
  const lines = [
    report.held === 0
      ? 'no row held in the warehouse quarantine'
      : `${report.held} row${report.held === 1 ? '' : 's'} held in the warehouse quarantine`,
  ];
  for (const row of report.rows) {
    const state = row.releasedAt ? 'RELEASED' : row.kind === 'held' ? 'HELD' : 'DEPENDANT';
    lines.push(
      '',
      `${state}  ${safe(row.naturalKey)}${row.version ? ` @ ${safe(row.version)}` : ''}  (unit ${safe(row.unitId)}, generation ${row.generation}, held since ${row.heldSince})`,
      `  why:     ${safe(row.errorClass)}: ${safe(row.reason)}`,
      `  row:     ${safe(JSON.stringify(row.row))}`,
      `  release: ${safe(row.release)}`,
    );
  }
  return lines.join('\n');
}
