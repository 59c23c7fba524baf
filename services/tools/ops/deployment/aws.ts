import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../../../shared/config/env.ts';
import { pipelineResources } from '../../../../shared/config/resources.ts';
import { databaseUrlFromSecret } from '../../../../shared/db/credentials.ts';
import { awsSchedule } from '../schedule/aws.ts';
import { type Deployment, WarehouseUrlError } from './types.ts';

export interface AwsDeploymentOptions {
  readonly prefix: string;
  /** `--warehouse-url` / WAREHOUSE_URL: wins over the deployment's secret. */
  readonly warehouseUrl?: string | undefined;
  /** Clients to use instead of new ones (tests); each defaults to the standard AWS chain. */
  readonly clients?: {
    readonly sqs?: SQSClient;
    readonly dynamo?: DynamoDBClient;
    readonly s3?: S3Client;
    readonly cloudwatch?: CloudWatchClient;
    readonly lambda?: LambdaClient;
    readonly secrets?: SecretsManagerClient;
    readonly events?: EventBridgeClient;
  };
  readonly now?: () => number;
}

/**
 * The warehouse URL as the deployed load gets it: the load function's WAREHOUSE_SECRET_ID
 * (GetFunctionConfiguration), then that Secrets Manager secret ({url} or RDS's
 * {username,password,host,port,dbname}).
 */
export async function deployedWarehouseUrl(
  lambda: LambdaClient,
  secrets: SecretsManagerClient,
  loadFunctionName: string,
): Promise<string> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: loadFunctionName }));
  const secretId = config.Environment?.Variables?.[ENV.warehouseSecretId];
  if (!secretId) {
    throw new WarehouseUrlError(
      `function ${loadFunctionName} has no ${ENV.warehouseSecretId}: pass --warehouse-url or set ${ENV.warehouseUrl}`,
    );
  }
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!secret.SecretString) throw new WarehouseUrlError(`secret ${secretId} has no SecretString`);
  return databaseUrlFromSecret(secretId, secret.SecretString);
}

/**
 * CloudWatch's ApproximateAgeOfOldestMessage for the queue: the newest one-minute maximum of the
 * last 15 minutes (SQS publishes it every minute while the queue exists); null without data.
 */
export async function cloudWatchOldestAge(
  cloudwatch: CloudWatchClient,
  queueName: string,
  now: number,
): Promise<number | null> {
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: queueName }],
      StartTime: new Date(now - 15 * 60_000),
      EndTime: new Date(now),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const newest = Datapoints.filter((d) => d.Timestamp && typeof d.Maximum === 'number').sort(
    (a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0),
  )[0];
  return newest ? Math.round(newest.Maximum ?? 0) : null;
}

/** The deployment `<prefix>` in the account and region of the standard AWS chain. */
export function awsDeployment(options: AwsDeploymentOptions): Deployment {
  const c = options.clients ?? {};
  const owned: { destroy(): void }[] = [];
  const own = <T extends { destroy(): void }>(given: T | undefined, make: () => T): T => {
    if (given) return given;
    const made = make();
    owned.push(made);
    return made;
  };
  const sqs = own(c.sqs, () => new SQSClient({}));
  const dynamo = own(c.dynamo, () => new DynamoDBClient({}));
  const state = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const s3 = own(c.s3, () => new S3Client({}));
  const cloudwatch = own(c.cloudwatch, () => new CloudWatchClient({}));
  const lambda = own(c.lambda, () => new LambdaClient({}));
  const secrets = own(c.secrets, () => new SecretsManagerClient({}));
  const events = own(c.events, () => new EventBridgeClient({}));
  const resources = pipelineResources(options.prefix, 'aws');
  const now = options.now ?? Date.now;
  let warehouse: Promise<string> | undefined;
  return {
    kind: 'aws',
    description: `AWS deployment "${options.prefix}"`,
    resources,
    sqs,
    state,
    s3,
    extraDlqs: [`${options.prefix}-schedule-dlq`],
    stateDir: null,
    runtimeRunning: null,
    oldestAgeSeconds: (name) => cloudWatchOldestAge(cloudwatch, name, now()),
    warehouseUrl() {
      warehouse ??= options.warehouseUrl
        ? Promise.resolve(options.warehouseUrl)
        : deployedWarehouseUrl(lambda, secrets, resources.functions.load.name);
      return warehouse;
    },
    schedule: awsSchedule(events, options.prefix),
    async close() {
      state.destroy();
      for (const client of owned) client.destroy();
    },
  };
}
