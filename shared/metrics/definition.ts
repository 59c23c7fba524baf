import type { Metrics } from '@aws-lambda-powertools/metrics';

/** A CloudWatch unit as Powertools names it (MetricUnit.Count, ...). */
export type MetricUnitValue = Parameters<Metrics['addMetric']>[1];

/** One custom metric: its name, its unit, and the dimensions it carries beyond the defaults. */
export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnitValue;
  /** Dimensions added to the defaults (`service`, and `stage` for transform and load). */
  readonly dimensions?: readonly string[];
  readonly description: string;
}

/** Records one value of `metric` (with its catalogued unit) on `metrics`. */
export function addMetric(
  metrics: Pick<Metrics, 'addMetric'>,
  metric: MetricDefinition,
  value: number,
): void {
  metrics.addMetric(metric.name, metric.unit, value);
}
