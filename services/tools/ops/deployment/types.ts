import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PipelineResources } from '../../../../shared/config/resources.ts';
import type { ScheduleControl } from '../schedule/types.ts';

/**
 * Where an on-call command looks: the local stack of a state folder or an AWS deployment. Both
 * speak the same APIs through the real SDK clients (SQS, DynamoDB, S3); what differs (how the
 * oldest message's age is known, where the warehouse URL comes from, how the schedule is
 * switched) stays behind this interface, so each command has ONE implementation.
 */
export interface Deployment {
  readonly kind: 'local' | 'aws';
  /** For the first line of a report: the state folder, or the prefix and region. */
  readonly description: string;
  readonly resources: PipelineResources;
  readonly sqs: SQSClient;
  /** The pipeline state table (watermarks, runs, heartbeat, failure records). */
  readonly state: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** DLQs beyond the consumers' (the AWS schedule DLQ). */
  readonly extraDlqs: readonly string[];
  /** Local: the state folder; AWS: null. */
  readonly stateDir: string | null;
  /** Local: a runtime (`npm start`) runs on the state folder. AWS: null. */
  readonly runtimeRunning: boolean | null;
  /** Age of the oldest message in seconds, without consuming; null when empty or unknown. */
  oldestAgeSeconds(queueName: string): Promise<number | null>;
  /** The warehouse: given, else as the deployment's load gets it. Throws WarehouseUrlError. */
  warehouseUrl(): Promise<string>;
  readonly schedule: ScheduleControl;
  close(): Promise<void>;
}

/** The warehouse URL could not be found (no secret, not readable): message says what to pass. */
export class WarehouseUrlError extends Error {
  override name = 'WarehouseUrlError';
}
