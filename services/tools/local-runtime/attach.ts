import path from 'node:path';
import {
  DEFAULT_PREFIX,
  type PipelineResources,
  pipelineResources,
} from '../../../shared/config/resources.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalAws } from './aws/index.ts';
import { startLocalDatabases } from './databases.ts';
import { MissingDatabaseUrlError, runningRuntime } from './runtime-file.ts';
import { prepareStateFolder } from './stack.ts';
import { lockStateFolder } from './state-lock.ts';

/** What a command needs to look at a local stack, whether or not a runtime is running. */
export interface AttachedStack {
  readonly stateDir: string;
  readonly running: boolean;
  readonly endpoints: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  /** Environment for SDK clients (endpoints, region, dummy credentials). */
  readonly awsEnv: Readonly<Record<string, string>>;
  readonly region: string;
  readonly resources: PipelineResources;
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  detach(): Promise<void>;
}

function awsEnv(endpoints: AttachedStack['endpoints']): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

/**
 * The running runtime's stack (`npm start` in another terminal) in `stateDir`, or undefined when
 * none runs. Starts nothing: for commands that only make sense against a running stack
 * (`totes env`) and as the first step of attachLocalStack.
 */
export async function attachRunningStack(options: {
  stateDir: string;
  sourceUrl?: string | undefined;
  warehouseUrl?: string | undefined;
}): Promise<AttachedStack | undefined> {
  const stateDir = path.resolve(options.stateDir);
  const running = await runningRuntime(stateDir);
  if (!running) return undefined;
  const sourceUrl = options.sourceUrl ?? running.sourceUrl;
  const warehouseUrl = options.warehouseUrl ?? running.warehouseUrl;
  if (sourceUrl === undefined || warehouseUrl === undefined) {
    throw new MissingDatabaseUrlError(
      `the stack running on ${stateDir} (pid ${running.pid}) recorded no database URLs; pass --source-url and --warehouse-url`,
    );
  }
  return {
    stateDir,
    running: true,
    endpoints: running.endpoints,
    awsEnv: awsEnv(running.endpoints),
    region: LOCAL_REGION,
    resources: pipelineResources(running.prefix, 'local'),
    sourceUrl,
    warehouseUrl,
    detach: async () => {},
  };
}

/**
 * Attaches to the local stack in `stateDir`: to the running runtime's emulators and databases
 * when one runs (`npm start` in another terminal), otherwise by taking the state folder's lock and
 * starting the stand-ins and the embedded PostgreSQL on the same state, read-only in intent, and
 * stopping them (and releasing the lock) on `detach`. A stack still starting is never touched:
 * `StateFolderInUseError` says who holds the folder.
 */
export async function attachLocalStack(options: {
  stateDir: string;
  sourceUrl?: string | undefined;
  warehouseUrl?: string | undefined;
  /**
   * Change nothing on a stopped stack: no resource created, no migration applied (`totes doctor`
   * must see the state as it is). Default false: the stand-ins create what is missing.
   */
  inspectOnly?: boolean;
}): Promise<AttachedStack> {
  const stateDir = path.resolve(options.stateDir);
  const running = await attachRunningStack({ ...options, stateDir });
  if (running) return running;
  const lock = await lockStateFolder(
    prepareStateFolder(stateDir),
    'a command attached to the state',
    'attached',
  );
  let databases: Awaited<ReturnType<typeof startLocalDatabases>>;
  try {
    databases = await startLocalDatabases({
      stateDir,
      sourceUrl: options.sourceUrl,
      warehouseUrl: options.warehouseUrl,
      // Looking never seeds: an empty embedded source stays empty.
      seedScale: 0,
      migrate: !options.inspectOnly,
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
  try {
    const aws = await startLocalAws({
      stateDir: path.join(stateDir, 'aws'),
      prefix: DEFAULT_PREFIX,
      createResources: !options.inspectOnly,
    });
    return {
      stateDir,
      running: false,
      endpoints: aws.endpoints,
      awsEnv: aws.env,
      region: aws.region,
      resources: aws.resources,
      sourceUrl: databases.sourceUrl,
      warehouseUrl: databases.warehouseUrl,
      detach: async () => {
        await aws.stop();
        await databases.stop();
        await lock.release();
      },
    };
  } catch (error) {
    await databases.stop();
    await lock.release();
    throw error;
  }
}
