/**
 * Child process of dynalite-query-native.test.ts, started with `--expose-gc` and
 * MALLOC_ARENA_MAX=2 (as `npm start` runs): dynalite on LevelDB (the state folder's kind, here on
 * tmpfs), one table with a 20-item partition, Query after Query through the real SDK client, and
 * glibc malloc's bytes in use (`mallinfo2()`) after a forced GC at the end of the warm-up and at
 * the end of the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { stateTableInput } from '../../../services/tools/local-runtime/aws/create-resources.ts';
import { startDynamoDb } from '../../../services/tools/local-runtime/aws/dynamodb-server.ts';
import { loadGlibcMalloc } from '../../../services/tools/local-runtime/native-memory/glibc-malloc.ts';
import { measurementConfig, reportToParent } from '../../support/measurement-child.ts';
import { settledHeap } from '../../support/settled-heap.ts';

export interface DynaliteQueryConfig {
  readonly warmup: number;
  readonly queries: number;
}

export interface DynaliteQueryNative {
  readonly queries: number;
  readonly inUseAfterWarmup: number;
  readonly inUseAtEnd: number;
  readonly heapAfterWarmup: number;
  readonly heapAtEnd: number;
}

const TABLE = 'native-query';

async function main(config: DynaliteQueryConfig): Promise<DynaliteQueryNative> {
  const malloc = loadGlibcMalloc();
  if (!malloc) throw new Error('glibc malloc is not available on this platform');
  const root = mkdtempSync(
    path.join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'dynalite-native-'),
  );
  const server = await startDynamoDb(path.join(root, 'dynamodb'));
  const client = new DynamoDBClient({
    region: 'eu-west-2',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(
      new CreateTableCommand(stateTableInput({ name: TABLE, partitionKey: 'pk', sortKey: 'sk' })),
    );
    // A partition like the state table's watermarks (one item per source table).
    for (let i = 0; i < 20; i++) {
      await client.send(
        new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'WATERMARK' }, sk: { S: `table-${i}` } } }),
      );
    }
    const query = () =>
      client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'WATERMARK' } },
          ConsistentRead: true,
        }),
      );
    // Native objects are released by finalizers that run after a GC, on a later turn of the event
    // loop (N-API): collect, let them run, and collect again, a few times.
    const measure = async () => {
      for (let round = 0; round < 3; round++) {
        settledHeap();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const heap = settledHeap();
      return { inUse: malloc.info().inUse, heap };
    };
    for (let i = 0; i < config.warmup; i++) await query();
    const afterWarmup = await measure();
    for (let i = 0; i < config.queries; i++) await query();
    const atEnd = await measure();
    return {
      queries: config.queries,
      inUseAfterWarmup: afterWarmup.inUse,
      inUseAtEnd: atEnd.inUse,
      heapAfterWarmup: afterWarmup.heap,
      heapAtEnd: atEnd.heap,
    };
  } finally {
    client.destroy();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

reportToParent(() => main(measurementConfig<DynaliteQueryConfig>()));
