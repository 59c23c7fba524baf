import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttachedStack } from '../../local-runtime/attach.ts';
import { LOCAL_CREDENTIALS } from '../../local-runtime/aws/index.ts';
import { localOldestAgeSeconds } from '../queues.ts';
import { localSchedule } from '../schedule/local.ts';
import type { Deployment } from './types.ts';

/** The local stack of a state folder (running or attached); `close` detaches. */
export function localDeployment(stack: AttachedStack): Deployment {
  const clientOptions = { region: stack.region, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient({ ...clientOptions, endpoint: stack.endpoints.sqs });
  const dynamo = new DynamoDBClient({ ...clientOptions, endpoint: stack.endpoints.dynamodb });
  const state = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const s3 = new S3Client({ ...clientOptions, endpoint: stack.endpoints.s3, forcePathStyle: true });
  return {
    kind: 'local',
    description: `state folder ${stack.stateDir} (runtime ${stack.running ? 'running' : 'not running'})`,
    resources: stack.resources,
    sqs,
    state,
    s3,
    extraDlqs: [],
    stateDir: stack.stateDir,
    runtimeRunning: stack.running,
    oldestAgeSeconds: (name) => localOldestAgeSeconds(stack.endpoints.sqs, name),
    warehouseUrl: async () => stack.warehouseUrl,
    schedule: localSchedule(stack.stateDir),
    async close() {
      sqs.destroy();
      state.destroy();
      dynamo.destroy();
      s3.destroy();
      await stack.detach();
    },
  };
}
