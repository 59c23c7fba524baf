import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDefinition } from './definition.ts';

/** The extract Lambda's metrics (dimension `service`), emitted by services/lambdas/extract/run-extract.ts. */
export const EXTRACT_METRICS = {
  runsSucceeded: {
    name: 'RunsSucceeded',
    unit: MetricUnit.Count,
    description: '1 per successful run, also when nothing changed (the heartbeat alarm)',
  },
  runsSkipped: {
    name: 'RunsSkipped',
    unit: MetricUnit.Count,
    description: '1 per run that found the lease held',
  },
  runsFailed: { name: 'RunsFailed', unit: MetricUnit.Count, description: '1 per failed run' },
  runDuration: {
    name: 'RunDuration',
    unit: MetricUnit.Milliseconds,
    description: 'one run, lease to release',
  },
  changedRows: {
    name: 'ChangedRows',
    unit: MetricUnit.Count,
    description: 'rows whose version changed in the window',
  },
  unitRows: { name: 'UnitRows', unit: MetricUnit.Count, description: 'rows written, join partners included' },
  sourceLag: {
    name: 'SourceLag',
    unit: MetricUnit.Seconds,
    description: 'the snapshot time minus the newest source last_updated',
  },
  schemaDrift: {
    name: 'SchemaDrift',
    unit: MetricUnit.Count,
    description: 'source schema drift findings of a run (0 when none; the extract-schema-drift alarm)',
  },
  horizonLag: {
    name: 'HorizonLag',
    unit: MetricUnit.Seconds,
    description: 'the database clock minus the commit horizon the watermarks may move to',
  },
  sourceUnobservable: {
    name: 'SourceUnobservable',
    unit: MetricUnit.Count,
    dimensions: ['cause'],
    description:
      'causes the extract cannot observe that page (replica, timezone); 0 when none, 1 per cause with dimension cause (the extract-source-unobservable alarm)',
  },
  sourceSessionsHidden: {
    name: 'SourceSessionsHidden',
    unit: MetricUnit.Count,
    description:
      "other roles' sessions the extract role cannot see (no page: the horizon does not need them)",
  },
  rowsExtracted: {
    name: 'RowsExtracted',
    unit: MetricUnit.Count,
    dimensions: ['table'],
    description: 'rows written per source table',
  },
} as const satisfies Record<string, MetricDefinition>;
