import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import {
  DEFAULT_PREFIX,
  type PipelineResources,
  pipelineResources,
} from '../../../../shared/config/resources.ts';
import { dynamoDbFaults, installFauxqsFaults } from '../faults/http.ts';
import type { FaultInjector } from '../faults/injector.ts';
import { ensurePrivateDir } from '../private-files.ts';
import { clearTmpDir } from './atomic-file.ts';
import { createResources } from './create-resources.ts';
import { type DynamoDbServer, startDynamoDb } from './dynamodb-server.ts';
import { SnsStore } from './fauxqs-internals.ts';
import { NotificationBridge } from './notification-bridge.ts';
import { installRequestContext } from './request-context.ts';
import { S3Disk } from './s3-disk.ts';
import { installS3Guards } from './s3-guards.ts';
import { LocalS3Store } from './s3-store.ts';
import { discardSpareFiles } from './spare-tmp-files.ts';
import { QueueFiles } from './sqs-snapshot.ts';
import { LocalSqsStore } from './sqs-store.ts';
import { claimStateDir, type StateDirClaim } from './state-claim.ts';

/** The region the local stack claims to be in (the SDK signs with it; ARNs carry it). */
export const LOCAL_REGION = 'eu-west-2';
/** Dummy credentials: the emulators accept any signature. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalAwsOptions {
  /** Persist queues, objects and tables here; in memory when absent (fast tests). */
  readonly stateDir?: string;
  /** Resource name prefix (default `totes`); ignored when `resources` is given. */
  readonly prefix?: string;
  /** What to create; default `pipelineResources(prefix, 'local')`. */
  readonly resources?: PipelineResources;
  /** Send S3's `s3:TestEvent` when the notification configuration is first applied (default true). */
  readonly testEvents?: boolean;
  /** Local fault injection at the HTTP layer of fauxqs and dynalite (chaos runs); absent: none. */
  readonly faults?: FaultInjector | undefined;
  /**
   * Create the declared resources and adopt orphan objects (default true). `totes doctor` passes
   * false: it inspects the state folder as it is, so a deleted DLQ stays deleted for it to see.
   */
  readonly createResources?: boolean;
}

export interface LocalAws {
  readonly endpoints: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  /** AWS_ENDPOINT_URL_S3/_SQS/_DYNAMODB, AWS_REGION and dummy credentials, for SDK clients. */
  readonly env: Readonly<Record<string, string>>;
  readonly region: string;
  readonly resources: PipelineResources;
  /** Queue name → URL, for every queue and DLQ of `resources`. */
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly stateDir: string | undefined;
  /**
   * Puts a message on a queue outside any SQS request, as S3's notification bridge does (no fault
   * can hit it): chaos runs use it to dead-letter a harmless message that their redrive then moves.
   */
  enqueue(queueName: string, body: string): void;
  stop(): Promise<void>;
}

/** The state folder's layout (see services/tools/local-runtime/README.md). */
export function stateLayout(stateDir: string) {
  return {
    s3: path.join(stateDir, 's3'),
    sqs: path.join(stateDir, 'sqs'),
    dynamodb: path.join(stateDir, 'dynamodb'),
    tmp: path.join(stateDir, 'tmp'),
    notifications: path.join(stateDir, 's3-notifications.json'),
  };
}

/**
 * Starts fauxqs (SQS + S3) and dynalite (DynamoDB) in-process on free ports of 127.0.0.1, restores
 * their state from `stateDir` when given, wires the S3 → SQS notification bridge, and creates every
 * declared resource through the real SDK (idempotent across restarts).
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const resources = options.resources ?? pipelineResources(options.prefix ?? DEFAULT_PREFIX, 'local');
  const region = LOCAL_REGION;
  const stateDir = options.stateDir === undefined ? undefined : path.resolve(options.stateDir);
  const layout = stateDir === undefined ? undefined : stateLayout(stateDir);
  let claim: StateDirClaim | undefined;
  if (stateDir && layout) {
    ensurePrivateDir(stateDir);
    claim = await claimStateDir(stateDir);
    ensurePrivateDir(layout.sqs);
    ensurePrivateDir(layout.dynamodb);
    clearTmpDir(layout.tmp);
  }

  const sqsStore = new LocalSqsStore(layout && new QueueFiles(layout.sqs, layout.tmp));
  const s3Store = new LocalS3Store(stateDir && layout ? new S3Disk(stateDir, layout.tmp) : undefined);
  const app = buildApp({
    logger: false,
    defaultRegion: region,
    stores: { sqsStore, snsStore: new SnsStore(), s3Store },
  });
  installS3Guards(app);
  installRequestContext(app);
  if (options.faults) installFauxqsFaults(app, options.faults);
  // Write-through: whatever a request changed in a queue is on disk before its response is sent.
  app.addHook('onSend', (request, _reply, payload, done) => {
    try {
      const target = request.headers['x-amz-target'];
      if (typeof target === 'string' && /\.(Tag|Untag)Queue$/.test(target)) sqsStore.markAllDirty();
      sqsStore.flush();
      done(null, payload);
    } catch (error) {
      done(error as Error);
    }
  });

  let address: string;
  let dynamo: DynamoDbServer;
  try {
    address = await app.listen({ port: 0, host: '127.0.0.1' });
    dynamo = await startDynamoDb(
      layout?.dynamodb,
      options.faults ? { wrapListener: dynamoDbFaults(options.faults) } : {},
    ).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  } catch (error) {
    await claim?.release();
    throw error;
  }
  const host = new URL(address).host;
  const endpoints = { s3: address, sqs: address, dynamodb: dynamo.endpoint };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      sqsStore.flush();
      await app.close();
      sqsStore.flush();
      await dynamo.stop();
      if (layout) discardSpareFiles(layout.tmp);
      await claim?.release();
    })();
    return stopping;
  };

  try {
    sqsStore.restore(host);
    s3Store.load();
    const bridge = new NotificationBridge({
      sqs: sqsStore,
      resources,
      region,
      ...(layout ? { configFile: layout.notifications, tmpDir: layout.tmp } : {}),
    });
    s3Store.onObjectCreated(bridge.handle);

    const credentials = LOCAL_CREDENTIALS;
    const s3 = new S3Client({ region, credentials, endpoint: endpoints.s3, forcePathStyle: true });
    const sqs = new SQSClient({ region, credentials, endpoint: endpoints.sqs });
    const dynamodb = new DynamoDBClient({ region, credentials, endpoint: endpoints.dynamodb });
    let queueUrls: Record<string, string> = {};
    const create = options.createResources ?? true;
    try {
      if (create) queueUrls = await createResources(resources, { s3, sqs, dynamodb });
    } finally {
      s3.destroy();
      sqs.destroy();
      dynamodb.destroy();
    }
    if (create) {
      // Files found on disk without their metadata are adopted and notified (needs the queues).
      s3Store.adoptOrphans();
      if (options.testEvents ?? true) bridge.sendTestEventsOnce();
    }
    sqsStore.flush();

    const env = {
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    claim?.publish({ endpoints, env });
    return {
      endpoints,
      env,
      region,
      resources,
      queueUrls,
      stateDir,
      enqueue: (queueName, body) => {
        const queue = sqsStore.getQueueByName(queueName);
        if (!queue) throw new Error(`no queue named ${queueName}`);
        sqsStore.enqueueDirect(queue, body);
        sqsStore.flush();
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
