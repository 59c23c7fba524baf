/**
 * Run history for `status` and the heartbeat alarm: pk='RUN', sk=<runId> per run, and
 * pk='HEARTBEAT', sk='extract' rewritten by every successful run (with or without changes).
 * The extract writes them; the readers below serve `totes status`, `totes alarms` and the console.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { HEARTBEAT_KEY, RUN_PK } from './keys.ts';

/** Run records expire from the state table after 30 days (DynamoDB TTL, seconds). */
export const RUN_RECORD_TTL_SECONDS = 30 * 86_400;

export type RunStatus = 'extracted' | 'unchanged' | 'failed';

export interface RunRecord {
  readonly runId: string;
  readonly status: RunStatus;
  /** Database clock at the run's snapshot. */
  readonly extractedAt: string;
  readonly durationMs: number;
  readonly changedRows: number;
  readonly rows: number;
  readonly manifestKey?: string;
  /** Every unit's manifest when the run wrote more than one (the first is `manifestKey`). */
  readonly manifestKeys?: readonly string[];
  /** The run's row budget stopped it; the next run goes on from there. */
  readonly backlog?: boolean;
  readonly rowsByTable?: Readonly<Record<string, number>>;
  /** What the run could not observe that puts rows at risk (extract/source-observability.ts); [] when none. */
  readonly unobservable?: readonly string[];
  readonly error?: string;
}

export async function recordRun(
  doc: DynamoDBDocumentClient,
  tableName: string,
  record: RunRecord,
  nowMs: number,
): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: RUN_PK,
        sk: record.runId,
        ...record,
        expires_at: Math.floor(nowMs / 1000) + RUN_RECORD_TTL_SECONDS,
      },
    }),
  );
}

export async function recordHeartbeat(
  doc: DynamoDBDocumentClient,
  tableName: string,
  heartbeat: { runId: string; at: string; rows: number; changedRows: number; status: RunStatus },
): Promise<void> {
  await doc.send(new PutCommand({ TableName: tableName, Item: { ...HEARTBEAT_KEY, ...heartbeat } }));
}

/** A state-table item as stored (pk and sk included); the readers keep every attribute. */
export type StateItem = Readonly<Record<string, unknown>>;

/** The newest `limit` run records, newest first (run ids sort by time). */
export async function latestRuns(
  doc: DynamoDBDocumentClient,
  tableName: string,
  limit = 5,
): Promise<StateItem[]> {
  const runs = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': RUN_PK },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (runs.Items ?? []) as StateItem[];
}

/** The extract heartbeat item, or null before the first successful run. */
export async function readHeartbeat(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<StateItem | null> {
  const heartbeat = await doc.send(new GetCommand({ TableName: tableName, Key: HEARTBEAT_KEY }));
  return (heartbeat.Item as StateItem | undefined) ?? null;
}

/**
 * When the extract last succeeded (the database clock of its snapshot): the heartbeat's `at`, else
 * the newest of the latest 20 runs that did not fail (state written before heartbeats existed).
 */
export async function lastSuccessfulExtract(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<string | null> {
  const heartbeat = await readHeartbeat(doc, tableName);
  if (typeof heartbeat?.at === 'string') return heartbeat.at;
  const ok = (await latestRuns(doc, tableName, 20)).find(
    (r) => r.status !== 'failed' && typeof r.extractedAt === 'string',
  );
  return ok ? String(ok.extractedAt) : null;
}
