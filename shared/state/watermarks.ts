/**
 * Per-table watermarks in the pipeline state table (pk='WATERMARK', sk=<table>), written with
 * optimistic concurrency: a save names the version it read, so a stale run (one whose lease expired
 * while it still ran) can neither move a watermark backwards nor overwrite another run's progress.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isSourceTableName, type SourceTableName } from '../schema/totesys.ts';
import { WATERMARK_PK } from './keys.ts';

export interface WatermarkRecord {
  readonly table: SourceTableName;
  /** Next run reads last_updated >= watermark; null before the first run. */
  readonly watermark: string | null;
  /** Versions (see services/lambdas/extract/window.ts versionKey) at or after the watermark already delivered; null = unknown. */
  readonly tail: readonly string[] | null;
  /**
   * At `watermark` itself, the versions with an id up to this one are delivered too (a run stopped
   * at its row budget there: services/lambdas/extract/window.ts nextTablePosition); null if none.
   */
  readonly after?: number | null;
  /** Newest last_updated ever seen in the table (drives the source-lag metric). */
  readonly newest: string | null;
  /** 0 when no item exists yet. */
  readonly version: number;
}

export class WatermarkConflictError extends Error {
  override name = 'WatermarkConflictError';
}

export function emptyWatermark(table: SourceTableName): WatermarkRecord {
  return { table, watermark: null, tail: [], after: null, newest: null, version: 0 };
}

export async function readWatermarks(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<Map<SourceTableName, WatermarkRecord>> {
  const result = new Map<SourceTableName, WatermarkRecord>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': WATERMARK_PK },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const sk = String(item.sk);
      if (!isSourceTableName(sk)) continue;
      result.set(sk, {
        table: sk,
        watermark: typeof item.watermark === 'string' ? item.watermark : null,
        tail: item.tailDropped === true ? null : ((item.tail as string[] | undefined) ?? []),
        ...(typeof item.after === 'number' ? { after: item.after } : {}),
        newest: typeof item.newest === 'string' ? item.newest : null,
        version: Number(item.version ?? 0),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return result;
}

/**
 * Replaces the watermark of `next.table`, provided nobody saved since `previous` was read and the
 * watermark does not move backwards. Throws WatermarkConflictError otherwise.
 */
export async function saveWatermark(
  doc: DynamoDBDocumentClient,
  tableName: string,
  previous: WatermarkRecord,
  next: Omit<WatermarkRecord, 'version'> & { readonly watermark: string },
  runId: string,
  savedAt: string,
): Promise<WatermarkRecord> {
  if (previous.watermark !== null && next.watermark < previous.watermark) {
    throw new WatermarkConflictError(
      `${next.table}: refusing to move the watermark back from ${previous.watermark} to ${next.watermark}`,
    );
  }
  const version = previous.version + 1;
  const condition =
    previous.version === 0
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: '#version = :expected AND #watermark <= :watermark',
          ExpressionAttributeNames: { '#version': 'version', '#watermark': 'watermark' },
          ExpressionAttributeValues: { ':expected': previous.version, ':watermark': next.watermark },
        };
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: WATERMARK_PK,
          sk: next.table,
          watermark: next.watermark,
          ...(next.tail === null ? { tailDropped: true } : { tail: [...next.tail] }),
          ...(next.after === null || next.after === undefined ? {} : { after: next.after }),
          newest: next.newest ?? undefined,
          version,
          runId,
          savedAt,
        },
        ...condition,
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      // Our own put whose response was lost (the SDK's retry then fails the condition against
      // our first attempt): the item holds this run's id and the version we wrote.
      const current = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: WATERMARK_PK, sk: next.table },
          ConsistentRead: true,
        }),
      );
      const item = current?.Item;
      if (item && item.runId === runId && Number(item.version) === version) return { ...next, version };
      throw new WatermarkConflictError(
        `${next.table}: watermark changed since this run read version ${previous.version} (another run?)`,
      );
    }
    throw error;
  }
  return { ...next, version };
}
