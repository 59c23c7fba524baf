import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDefinition } from './definition.ts';

/**
 * The shared SQS consumer's metrics (shared/sqs-consumer), emitted by the transform and the load
 * with the default dimensions `service` and `stage`.
 */
export const CONSUMER_METRICS = {
  recordsSucceeded: {
    name: 'RecordsSucceeded',
    unit: MetricUnit.Count,
    description: 'SQS records that succeeded',
  },
  recordsFailed: {
    name: 'RecordsFailed',
    unit: MetricUnit.Count,
    description: 'SQS records that failed (the records-failed alarms)',
  },
  handlerFailures: {
    name: 'HandlerFailures',
    unit: MetricUnit.Count,
    description: 'invocations that could not run at all (configuration, clients)',
  },
  testEvents: {
    name: 'TestEventsAcknowledged',
    unit: MetricUnit.Count,
    description: 's3:TestEvent messages acknowledged without work',
  },
  objectsProcessed: { name: 'ObjectsProcessed', unit: MetricUnit.Count, description: 'objects processed' },
  objectsSkippedDuplicate: {
    name: 'ObjectsSkippedDuplicate',
    unit: MetricUnit.Count,
    description: 'objects skipped by their idempotency record',
  },
  recordDuration: { name: 'RecordDuration', unit: MetricUnit.Milliseconds, description: 'one SQS record' },
  batchDuration: { name: 'BatchDuration', unit: MetricUnit.Milliseconds, description: 'one SQS batch' },
} as const satisfies Record<string, MetricDefinition>;
