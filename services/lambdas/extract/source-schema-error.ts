import { type DriftFinding, describeFindings } from '../../../shared/schema/source-drift.ts';

/**
 * The source's schema changed in a way the pipeline cannot carry (a missing or renamed table or
 * column, an incompatible type): the run stopped BEFORE writing anything and the watermarks did
 * not move. On-call contract: the error's name is `SourceSchemaError` and its message names every
 * `table.column` with what to do (RUNBOOK.md#schema-drift); it never surfaces PostgreSQL's raw
 * 42703 / 42P01 instead.
 */
export class SourceSchemaError extends Error {
  override name = 'SourceSchemaError';
  /** The incompatible findings (the run's compatible drift is logged, not thrown). */
  readonly findings: readonly DriftFinding[];

  constructor(findings: readonly DriftFinding[], options: { cause?: unknown } = {}) {
    super(
      `source schema incompatible with the pipeline, nothing written, watermarks unchanged: ${describeFindings(findings)}. Fix: ${findings.map((f) => `${f.subject}: ${f.action}`).join('; ')}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.findings = findings;
  }
}
