/** Lease and watermark conditional writes against dynalite (real DynamoDB condition semantics). */
import { acquireLease, releaseLease } from '../../../shared/state/lease.ts';
import {
  emptyWatermark,
  readWatermarks,
  saveWatermark,
  WatermarkConflictError,
} from '../../../shared/state/watermarks.ts';
import { type LocalAws, startAws } from './support.ts';

describe('extract state in dynalite', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startAws();
  });
  afterAll(async () => aws.stop());

  it('lets exactly one of many simultaneous lease requests win, until released or expired', async () => {
    const owners = Array.from({ length: 8 }, (_, i) => `run-${i}`);
    const results = await Promise.all(
      owners.map((owner) =>
        acquireLease(aws.dynamo, aws.stateTable, { owner, nowMs: 1_000, durationMs: 60_000 }),
      ),
    );
    const winners = owners.filter((_, i) => results[i]!.acquired);
    expect(winners).toHaveLength(1);
    const loser = results.find((r) => !r.acquired);
    expect(loser).toEqual({ acquired: false, holder: { owner: winners[0], expiresAtMs: 61_000 } });

    expect(await releaseLease(aws.dynamo, aws.stateTable, 'someone-else')).toBe(false);
    expect(
      (await acquireLease(aws.dynamo, aws.stateTable, { owner: 'x', nowMs: 2_000, durationMs: 1 })).acquired,
    ).toBe(false);
    // Expired (database clock past expiresAtMs): taken over without a release.
    expect(
      (await acquireLease(aws.dynamo, aws.stateTable, { owner: 'y', nowMs: 61_001, durationMs: 1 })).acquired,
    ).toBe(true);
    expect(await releaseLease(aws.dynamo, aws.stateTable, 'y')).toBe(true);
    expect(
      (await acquireLease(aws.dynamo, aws.stateTable, { owner: 'z', nowMs: 0, durationMs: 1 })).acquired,
    ).toBe(true);
  });

  it('lets a stale run neither overwrite a newer save nor move a watermark backwards', async () => {
    const first = await saveWatermark(
      aws.dynamo,
      aws.stateTable,
      emptyWatermark('sales_order'),
      { table: 'sales_order', watermark: '2024-01-01 00:00:00.000', tail: [], newest: null },
      'run-a',
      'x',
    );
    // Two runs both read version 1; the second save loses.
    const read = (await readWatermarks(aws.dynamo, aws.stateTable)).get('sales_order')!;
    expect(read).toEqual(first);
    await saveWatermark(
      aws.dynamo,
      aws.stateTable,
      read,
      {
        table: 'sales_order',
        watermark: '2024-01-01 00:10:00.000',
        tail: ['2024-01-01 00:10:00.000|5'],
        newest: null,
      },
      'run-b',
      'x',
    );
    await expect(
      saveWatermark(
        aws.dynamo,
        aws.stateTable,
        read,
        { table: 'sales_order', watermark: '2024-01-01 00:05:00.000', tail: [], newest: null },
        'run-stale',
        'x',
      ),
    ).rejects.toThrow(WatermarkConflictError);
    const now = (await readWatermarks(aws.dynamo, aws.stateTable)).get('sales_order')!;
    expect(now).toMatchObject({
      watermark: '2024-01-01 00:10:00.000',
      version: 2,
      tail: ['2024-01-01 00:10:00.000|5'],
    });
    // A second first-save (another run that saw no item) cannot clobber either.
    await expect(
      saveWatermark(
        aws.dynamo,
        aws.stateTable,
        emptyWatermark('sales_order'),
        { table: 'sales_order', watermark: '2025-01-01 00:00:00.000', tail: [], newest: null },
        'run-c',
        'x',
      ),
    ).rejects.toThrow(WatermarkConflictError);
  });
});
