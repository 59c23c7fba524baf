import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDefinition } from './definition.ts';

/** The transform's own metrics (beside CONSUMER_METRICS), emitted by services/lambdas/transform/handler.ts. */
export const TRANSFORM_METRICS = {
  unitsTransformed: { name: 'UnitsTransformed', unit: MetricUnit.Count, description: 'units written' },
  unitsAlreadyProcessed: {
    name: 'UnitsAlreadyProcessed',
    unit: MetricUnit.Count,
    description: 'units whose processed manifest already existed (nothing written)',
  },
  unitDuration: { name: 'UnitDuration', unit: MetricUnit.Milliseconds, description: 'one unit transformed' },
  rowsTransformed: {
    name: 'RowsTransformed',
    unit: MetricUnit.Count,
    dimensions: ['table'],
    description: 'rows written per warehouse table',
  },
} as const satisfies Record<string, MetricDefinition>;
