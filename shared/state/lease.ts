/**
 * The extract run lease (pk='LEASE', sk='extract'): a conditional put that succeeds only when no
 * lease exists or the existing one has expired, measured on the source database's clock. The
 * holder deletes it at the end (only if it still owns it); a crashed holder's lease simply expires.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LEASE_KEY } from './keys.ts';

export interface LeaseRequest {
  readonly owner: string;
  /** Now on the database clock, ms since the epoch. */
  readonly nowMs: number;
  /** How long the lease holds without release (the Lambda's remaining time plus a little). */
  readonly durationMs: number;
}

export interface LeaseHolder {
  readonly owner: string;
  readonly expiresAtMs: number;
}

export async function acquireLease(
  doc: DynamoDBDocumentClient,
  tableName: string,
  request: LeaseRequest,
): Promise<{ acquired: true } | { acquired: false; holder: LeaseHolder | null }> {
  const expiresAtMs = request.nowMs + request.durationMs;
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...LEASE_KEY,
          owner: request.owner,
          acquiredAtMs: request.nowMs,
          expiresAtMs,
          // DynamoDB TTL (seconds) tidies leases left behind; correctness never depends on it.
          expires_at: Math.ceil(expiresAtMs / 1000) + 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now',
        ExpressionAttributeValues: { ':now': request.nowMs },
      }),
    );
    return { acquired: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const current = await doc.send(
      new GetCommand({ TableName: tableName, Key: LEASE_KEY, ConsistentRead: true }),
    );
    const item = current.Item;
    // Our own put, whose response was lost (a dropped connection after the write): the SDK's retry
    // then fails the condition against our first attempt. The owner (the run id) is unique, so the
    // lease is ours; reporting "held" would skip this run and strand the lease until it expires.
    if (item && String(item.owner) === request.owner) return { acquired: true };
    return {
      acquired: false,
      holder: item ? { owner: String(item.owner), expiresAtMs: Number(item.expiresAtMs) } : null,
    };
  }
}

/** Releases the lease if `owner` still holds it; returns whether it did. */
export async function releaseLease(
  doc: DynamoDBDocumentClient,
  tableName: string,
  owner: string,
): Promise<boolean> {
  try {
    await doc.send(
      new DeleteCommand({
        TableName: tableName,
        Key: LEASE_KEY,
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
