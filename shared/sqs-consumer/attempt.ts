import type { SQSRecord } from 'aws-lambda';

/** The SQS ApproximateReceiveCount of a record (1 on the first delivery, or when absent). */
export function attemptOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}
