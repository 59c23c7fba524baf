import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { pipelineResources } from '../../../../shared/config/resources.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalAws } from '../../local-runtime/aws/index.ts';
import { runningRuntime } from '../../local-runtime/runtime-file.ts';
import { prepareStateFolder } from '../../local-runtime/stack.ts';
import { lockStateFolder } from '../../local-runtime/state-lock.ts';
import { type AwsDeploymentOptions, awsDeployment } from '../deployment/aws.ts';

/**
 * The processed lake a rebuild reads, and what it needs to know of the pipeline around it: an
 * S3 client and bucket (the local stand-in or AWS, one code path), the pipeline's live warehouse
 * (to refuse it), and the source URL when one is known (to reconcile after).
 */
export interface RebuildLake {
  readonly description: string;
  readonly s3: S3Client;
  readonly bucket: string;
  /** The running pipeline's own warehouse; undefined when nothing runs (a stopped local stack). */
  liveWarehouseUrl(): Promise<string | undefined>;
  /** The source database of the pipeline, when known (a running local stack's). */
  readonly sourceUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * The AWS deployment `<prefix>`: its processed bucket, and as live warehouse the one the deployed
 * load function reads (its WAREHOUSE_SECRET_ID, as `totes status --aws` finds it).
 */
export function awsRebuildLake(prefix: string, clients: AwsDeploymentOptions['clients'] = {}): RebuildLake {
  const s3 = clients.s3 ?? new S3Client({});
  const deployment = awsDeployment({ prefix, clients: { ...clients, s3 } });
  return {
    description: `deployment ${prefix}`,
    s3,
    bucket: pipelineResources(prefix, 'aws').buckets.processed,
    liveWarehouseUrl: () => deployment.warehouseUrl(),
    sourceUrl: undefined,
    close: async () => {
      await deployment.close();
      if (!clients.s3) s3.destroy();
    },
  };
}

function localS3(endpoint: string): S3Client {
  return new S3Client({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint,
    forcePathStyle: true,
  });
}

/**
 * The local stack of `stateDir`: the running runtime's S3 stand-in (`npm start` elsewhere), whose
 * warehouse is the live one; otherwise the state folder's own stand-ins, started for the rebuild
 * under the folder's lock (no database is started: the target is the only one written).
 */
export async function localRebuildLake(stateDir: string, prefix: string): Promise<RebuildLake> {
  const running = await runningRuntime(stateDir);
  if (running) {
    const s3 = localS3(running.endpoints.s3);
    return {
      description: `the stack running on ${stateDir} (pid ${running.pid})`,
      s3,
      bucket: pipelineResources(running.prefix, 'local').buckets.processed,
      liveWarehouseUrl: async () => running.warehouseUrl,
      sourceUrl: running.sourceUrl,
      close: async () => s3.destroy(),
    };
  }
  const lock = await lockStateFolder(prepareStateFolder(stateDir), 'totes rebuild', 'attached');
  try {
    const aws = await startLocalAws({ stateDir: path.join(stateDir, 'aws'), prefix, createResources: false });
    const s3 = localS3(aws.endpoints.s3);
    return {
      description: `state folder ${stateDir} (not running)`,
      s3,
      bucket: aws.resources.buckets.processed,
      liveWarehouseUrl: async () => undefined,
      sourceUrl: undefined,
      close: async () => {
        s3.destroy();
        await aws.stop();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
