import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients as the stages use them. On AWS nothing is set and the SDK resolves region,
 * credentials and endpoints itself. Locally the runtime sets AWS_ENDPOINT_URL_S3 / _SQS /
 * _DYNAMODB (the SDK's own variables) to the emulators, and S3 must then be path-style because
 * the emulators do not resolve bucket subdomains.
 */
export interface ClientOptions {
  readonly endpoint?: string;
  readonly region?: string;
}

const region = (options: ClientOptions) => options.region ?? process.env.AWS_REGION ?? 'eu-west-2';

export function s3Client(options: ClientOptions = {}): S3Client {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    region: region(options),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

export function sqsClient(options: ClientOptions = {}): SQSClient {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  return new SQSClient({ region: region(options), ...(endpoint ? { endpoint } : {}) });
}

export function dynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL;
  return new DynamoDBClient({ region: region(options), ...(endpoint ? { endpoint } : {}) });
}

/** Document client that drops undefined attributes instead of failing on them. */
export function dynamoDbDocumentClient(client: DynamoDBClient = dynamoDbClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function secretsManagerClient(options: ClientOptions = {}): SecretsManagerClient {
  const endpoint =
    options.endpoint ?? process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? process.env.AWS_ENDPOINT_URL;
  return new SecretsManagerClient({ region: region(options), ...(endpoint ? { endpoint } : {}) });
}
