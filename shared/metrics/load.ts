import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDefinition } from './definition.ts';

/** The load's own metrics (beside CONSUMER_METRICS), emitted by services/lambdas/load/processor.ts. */
export const LOAD_METRICS = {
  unitsLoaded: { name: 'UnitsLoaded', unit: MetricUnit.Count, description: 'units applied' },
  unitsAlreadyApplied: {
    name: 'UnitsAlreadyApplied',
    unit: MetricUnit.Count,
    description: 'units the load ledger already held (nothing changed)',
  },
  unitsFailed: { name: 'UnitsFailed', unit: MetricUnit.Count, description: 'units that failed' },
  loadRetries: {
    name: 'LoadRetries',
    unit: MetricUnit.Count,
    description: 'transient warehouse errors retried',
  },
  loadDuration: {
    name: 'LoadDuration',
    unit: MetricUnit.Milliseconds,
    description: 'one unit, read to commit',
  },
  rowsInserted: {
    name: 'RowsInserted',
    unit: MetricUnit.Count,
    dimensions: ['table'],
    description: 'rows inserted per warehouse table',
  },
  rowsUpdated: {
    name: 'RowsUpdated',
    unit: MetricUnit.Count,
    dimensions: ['table'],
    description: 'dimension rows replaced by a newer version, per table',
  },
  rowsHeld: {
    name: 'RowsHeld',
    unit: MetricUnit.Count,
    description:
      'rows held back in pipeline.quarantine now (not released), after each commit (the rows-held alarm)',
  },
  rowsReleased: {
    name: 'RowsReleased',
    unit: MetricUnit.Count,
    description: 'held dependants a load released into the warehouse',
  },
  freshness: {
    name: 'WarehouseFreshnessSeconds',
    unit: MetricUnit.Seconds,
    description: 'now minus the newest source last_updated the warehouse holds (the freshness alarm)',
  },
} as const satisfies Record<string, MetricDefinition>;
