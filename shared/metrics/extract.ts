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
  rowsExtracted: {
    name: 'RowsExtracted',
    unit: MetricUnit.Count,
    dimensions: ['table'],
    description: 'rows written per source table',
  },
} as const satisfies Record<string, MetricDefinition>;
