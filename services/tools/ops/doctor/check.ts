/**
 * What one doctor check reports: its status, its name, what it saw, and for WARN / FAIL the fix.
 * Pure data; the check groups build them, render.ts prints them.
 */

export type CheckStatus = 'OK' | 'WARN' | 'FAIL';
export type CheckGroup = 'source' | 'warehouse' | 'resources';

export interface CheckResult {
  readonly group: CheckGroup;
  /** Short and stable: `source SELECT grants`, `queue totes-load redrive`. */
  readonly name: string;
  readonly status: CheckStatus;
  /** What was seen (and, for heuristics, how it was judged). */
  readonly detail: string;
  /** What to do; present on WARN and FAIL. */
  readonly fix?: string;
}

export const ok = (group: CheckGroup, name: string, detail: string): CheckResult => ({
  group,
  name,
  status: 'OK',
  detail,
});

export const warn = (group: CheckGroup, name: string, detail: string, fix: string): CheckResult => ({
  group,
  name,
  status: 'WARN',
  detail,
  fix,
});

export const fail = (group: CheckGroup, name: string, detail: string, fix: string): CheckResult => ({
  group,
  name,
  status: 'FAIL',
  detail,
  fix,
});

/** The whole run: what was checked, against what, and what was left out (and why). */
export interface DoctorReport {
  /** `local` (a state folder or URLs) or `aws` (`--aws`, with the prefix). */
  readonly target: { readonly kind: 'local' | 'aws'; readonly description: string };
  readonly checks: readonly CheckResult[];
  /** Groups not checked, each with the reason (e.g. no state folder for the queues). */
  readonly notChecked: readonly string[];
}

export function summarise(checks: readonly CheckResult[]): { ok: number; warn: number; fail: number } {
  return {
    ok: checks.filter((c) => c.status === 'OK').length,
    warn: checks.filter((c) => c.status === 'WARN').length,
    fail: checks.filter((c) => c.status === 'FAIL').length,
  };
}

/** Exit code of `totes doctor` for a report: 1 when any check fails (WARN is not a failure). */
export function exitCodeOf(report: DoctorReport): 0 | 1 {
  return report.checks.some((c) => c.status === 'FAIL') ? 1 : 0;
}
