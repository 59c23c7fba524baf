import path from 'node:path';
import {
  DEFAULT_PREFIX,
  type PipelineResources,
  pipelineResources,
} from '../../../shared/config/resources.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalAws } from './aws/index.ts';
import { startLocalDatabases } from './databases.ts';
import { runningRuntime } from './stack.ts';

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
export function attachRunningStack(options: {
  stateDir: string;
  sourceUrl?: string | undefined;
  warehouseUrl?: string | undefined;
}): AttachedStack | undefined {
  const stateDir = path.resolve(options.stateDir);
  const running = runningRuntime(stateDir);
  if (!running) return undefined;
  return {
    stateDir,
    running: true,
    endpoints: running.endpoints,
    awsEnv: awsEnv(running.endpoints),
    region: LOCAL_REGION,
    resources: pipelineResources(running.prefix, 'local'),
    sourceUrl: options.sourceUrl ?? running.sourceUrl,
    warehouseUrl: options.warehouseUrl ?? running.warehouseUrl,
    detach: async () => {},
  };
}

/**
 * Attaches to the local stack in `stateDir`: to the running runtime's emulators and databases
 * when one runs (`npm start` in another terminal), otherwise by starting the stand-ins and the
 * embedded PostgreSQL on the same state, read-only in intent, and stopping them on `detach`.
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
  const running = attachRunningStack({ ...options, stateDir });
  if (running) return running;
  const databases = await startLocalDatabases({
    stateDir,
    sourceUrl: options.sourceUrl,
    warehouseUrl: options.warehouseUrl,
    // Looking never seeds: an empty embedded source stays empty.
    seedScale: 0,
    migrate: !options.inspectOnly,
  });
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
      },
    };
  } catch (error) {
    await databases.stop();
    throw error;
  }
}
