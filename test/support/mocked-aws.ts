/**
 * For unit tests of the `--aws` paths, whose AWS calls aws-sdk-client-mock answers
 * (`mockClient(SQSClient)` and so on, declared in the test): the real SDK clients the code under
 * test is given, with a fixed region and dummy credentials, so that nothing reads the machine's
 * AWS configuration and a call the mocks do not answer cannot reach AWS.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

export const TEST_REGION = 'eu-west-2';
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

interface ClientConfig {
  readonly region: string;
  readonly credentials: typeof TEST_CREDENTIALS;
}

/** A client of `Client` in the test region with dummy credentials: `testClient(SQSClient)`. */
export function testClient<C>(Client: new (config: ClientConfig) => C): C {
  return new Client({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
}

/** One client of each service a deployment reads (`awsDeployment({ clients })`). */
export function deploymentTestClients() {
  return {
    sqs: testClient(SQSClient),
    dynamo: testClient(DynamoDBClient),
    s3: testClient(S3Client),
    cloudwatch: testClient(CloudWatchClient),
    lambda: testClient(LambdaClient),
    secrets: testClient(SecretsManagerClient),
    events: testClient(EventBridgeClient),
  };
}
