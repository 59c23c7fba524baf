/**
 * Pure rendering of a doctor report: one line per check (`OK`, `WARN` or `FAIL`, its name, what
 * was seen, and for WARN / FAIL the fix), then a summary; or one JSON document.
 */
import { type CheckStatus, type DoctorReport, summarise } from './check.ts';

const COLOURS: Record<CheckStatus, string> = { OK: '\u001b[32m', WARN: '\u001b[33m', FAIL: '\u001b[31m' };
const RESET = '\u001b[0m';

export function renderReport(report: DoctorReport, options: { colour?: boolean } = {}): string {
  const paint = (status: CheckStatus) =>
    options.colour ? `${COLOURS[status]}${status.padEnd(4)}${RESET}` : status.padEnd(4);
  const lines = [`totes doctor: ${report.target.description}`];
  for (const check of report.checks) {
    const fix = check.fix ? ` — fix: ${check.fix}` : '';
    lines.push(`${paint(check.status)}  ${check.name}: ${oneLine(check.detail)}${oneLine(fix)}`);
  }
  for (const reason of report.notChecked) lines.push(`not checked: ${oneLine(reason)}`);
  const { ok, warn, fail } = summarise(report.checks);
  lines.push(
    `${ok} ok, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed${fail > 0 ? ' — the pipeline will not work as it is' : ''}`,
  );
  return lines.join('\n');
}

/** `--json`: one document, the checks with their group. */
export function reportJson(report: DoctorReport): string {
  const summary = summarise(report.checks);
  return JSON.stringify({
    ok: summary.fail === 0,
    target: report.target,
    summary,
    checks: report.checks,
    notChecked: report.notChecked,
  });
}

/** Catalog text and error messages can hold newlines; a check is one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
