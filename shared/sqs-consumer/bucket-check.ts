import { truncateText } from '../failures/record-key.ts';

/**
 * A consumer reads objects of one bucket only: transform the ingestion bucket, load the processed
 * bucket. On AWS the IAM policy already stops a read elsewhere; the handler refuses such an event
 * itself, before any read or idempotency record, so a forged or misrouted notification (another
 * bucket with a copied manifest) is never processed. The record fails (its failure recorded) and,
 * after its retries, rests in the DLQ.
 */
export class ForeignBucketError extends Error {
  override name = 'ForeignBucketError';
  readonly bucket: string;
  readonly expectedBucket: string;

  constructor(bucket: string, expectedBucket: string) {
    super(
      `notification names bucket ${JSON.stringify(truncateText(bucket, 255))}, but this consumer reads only ${JSON.stringify(expectedBucket)}`,
    );
    this.bucket = bucket;
    this.expectedBucket = expectedBucket;
  }
}

export function assertConfiguredBucket(bucket: string, expectedBucket: string | undefined): void {
  if (expectedBucket !== undefined && bucket !== expectedBucket) {
    throw new ForeignBucketError(bucket, expectedBucket);
  }
}
