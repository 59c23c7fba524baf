/**
 * The metrics catalogue: every custom metric a stage emits, with its unit, in the one namespace
 * METRICS_NAMESPACE. Handlers emit through these definitions and the alarm definitions
 * (shared/config/alarms.json) name only metrics listed here (a test checks it).
 */
import { CONSUMER_METRICS } from './consumer.ts';
import type { MetricDefinition } from './definition.ts';
import { EXTRACT_METRICS } from './extract.ts';
import { LOAD_METRICS } from './load.ts';
import { TRANSFORM_METRICS } from './transform.ts';

export { CONSUMER_METRICS } from './consumer.ts';
export { addMetric, type MetricDefinition, type MetricUnitValue } from './definition.ts';
export { EXTRACT_METRICS } from './extract.ts';
export { LOAD_METRICS } from './load.ts';
export { METRICS_NAMESPACE, metricsNamespace } from './namespace.ts';
export { TRANSFORM_METRICS } from './transform.ts';

/** Every metric each stage emits (transform and load include the shared consumer's). */
export const STAGE_METRICS: Readonly<Record<'extract' | 'transform' | 'load', readonly MetricDefinition[]>> =
  {
    extract: Object.values(EXTRACT_METRICS),
    transform: [...Object.values(CONSUMER_METRICS), ...Object.values(TRANSFORM_METRICS)],
    load: [...Object.values(CONSUMER_METRICS), ...Object.values(LOAD_METRICS)],
  };
