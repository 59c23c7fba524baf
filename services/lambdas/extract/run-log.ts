/**
 * Run history for `status` and the heartbeat alarm: pk='RUN', sk=<runId> per run, and
 * pk='HEARTBEAT', sk='extract' rewritten by every successful run (with or without changes).
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

export const HEARTBEAT_KEY = { pk: 'HEARTBEAT', sk: 'extract' } as const;
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
  readonly rowsByTable?: Readonly<Record<string, number>>;
  /** What the run could not observe that puts rows at risk (source-observability.ts); [] when none. */
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
        pk: 'RUN',
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
