/**
 * `totes doctor`: a preflight of everything the pipeline needs (issue 13 item 3). One module per
 * group of checks (source-checks, warehouse-checks, resource-checks), pure rules beside them
 * (versions, utc-heuristic, shared/schema/source-drift), pure rendering in render.ts.
 */
import type { CheckResult, DoctorReport } from './check.ts';
import { type ResourceCheckOptions, type ResourceClients, resourceChecks } from './resource-checks.ts';
import { sourceChecks } from './source-checks.ts';
import { warehouseChecks } from './warehouse-checks.ts';

export { type CheckResult, type CheckStatus, type DoctorReport, exitCodeOf, summarise } from './check.ts';
export { renderReport, reportJson } from './render.ts';
export { listQueues, type ResourceClients, resourceChecks } from './resource-checks.ts';
export { judgeUtc } from './utc-heuristic.ts';
export { SUPPORTED_POSTGRES, versionCheck } from './versions.ts';

export interface DoctorTarget {
  readonly kind: 'local' | 'aws';
  readonly description: string;
  /** Absent: the source is not checked (the reason is in notChecked). */
  readonly sourceUrl?: string | undefined;
  readonly warehouseUrl?: string | undefined;
  /** The warehouse URL as the migrate fix may print it (password hidden). */
  readonly warehouseFixUrl?: string | undefined;
  readonly resources?:
    | { readonly clients: ResourceClients; readonly options: ResourceCheckOptions }
    | undefined;
  /** Extra checks decided before (a secret that could not be read). */
  readonly preChecks?: readonly CheckResult[];
  readonly notChecked: readonly string[];
}

/** Runs every group the target allows; a group's checks keep their order. */
export async function runDoctor(target: DoctorTarget): Promise<DoctorReport> {
  // A database in a VPC is often out of reach from a laptop: say where doctor must run from.
  const reachHint =
    target.kind === 'aws'
      ? '; run doctor from a machine with a route to it (a private RDS is not reachable from outside its VPC)'
      : '';
  const [source, warehouse, resources] = await Promise.all([
    target.sourceUrl ? sourceChecks(target.sourceUrl, reachHint) : [],
    target.warehouseUrl
      ? warehouseChecks(target.warehouseUrl, target.warehouseFixUrl ?? '<url>', reachHint)
      : [],
    target.resources ? resourceChecks(target.resources.clients, target.resources.options) : [],
  ]);
  return {
    target: { kind: target.kind, description: target.description },
    checks: [...(target.preChecks ?? []), ...source, ...warehouse, ...resources],
    notChecked: target.notChecked,
  };
}
