/**
 * The extract's horizon checkpoints (horizon.ts) in the pipeline state table, beside the
 * watermarks: one item, pk='HORIZON', sk='extract'. Written after the watermarks, without a
 * condition: every checkpoint is a true observation of the source, so an item from a stale run or
 * a lost write can only make the watermark wait longer, never let it pass a row.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HorizonCheckpoint } from './horizon.ts';

export const HORIZON_KEY = { pk: 'HORIZON', sk: 'extract' } as const;

function isCheckpoint(value: unknown): value is HorizonCheckpoint {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.at === 'string' &&
    typeof c.serverStart === 'string' &&
    Array.isArray(c.transactions) &&
    c.transactions.every((t) => typeof t === 'string')
  );
}

/** The stored checkpoints (none before the first run; a malformed entry is dropped: it only delays). */
export async function readCheckpoints(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<HorizonCheckpoint[]> {
  const out = await doc.send(
    new GetCommand({ TableName: tableName, Key: HORIZON_KEY, ConsistentRead: true }),
  );
  const pending = out.Item?.pending;
  return Array.isArray(pending) ? pending.filter(isCheckpoint) : [];
}

export async function saveCheckpoints(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pending: readonly HorizonCheckpoint[],
  runId: string,
  savedAt: string,
): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...HORIZON_KEY,
        pending: pending.map((c) => ({
          at: c.at,
          transactions: [...c.transactions],
          serverStart: c.serverStart,
        })),
        runId,
        savedAt,
      },
    }),
  );
}
