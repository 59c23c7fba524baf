import { expect, test } from '@jest/globals';
import {
  ingestionTableKey,
  isManifestKey,
  manifestKey,
  newRunId,
  parseLakeKey,
  processedObjectKey,
  processedPartManifestKey,
  runIdFromKey,
  unitPrefix,
} from '../../../shared/lake/keys.ts';

const runId = newRunId('2026-11-28 01:02:03.456', 'ab12');

test('every key of both buckets is built under the run prefix', () => {
  expect(runId).toBe('20261128T010203456Z-ab12');
  expect(unitPrefix(runId)).toBe(`units/2026/11/28/${runId}/`);
  expect(ingestionTableKey(runId, 'sales_order', 2)).toBe(`units/2026/11/28/${runId}/sales_order.0002.json`);
  expect(manifestKey(runId)).toBe(`units/2026/11/28/${runId}/manifest.json`);
  expect(processedObjectKey(runId, 'fact_payment', 12)).toBe(
    `units/2026/11/28/${runId}/fact_payment.0012.parquet`,
  );
  expect(processedPartManifestKey(runId, 3)).toBe(`units/2026/11/28/${runId}/part-0003/manifest.json`);
  expect(() => unitPrefix('not-a-run')).toThrow('compact timestamp');
});

test('every key built parses back to what it names', () => {
  expect(parseLakeKey(manifestKey(runId))).toEqual({ kind: 'manifest', runId });
  expect(parseLakeKey(processedPartManifestKey(runId, 3))).toEqual({
    kind: 'part-manifest',
    runId,
    group: 3,
  });
  expect(parseLakeKey(ingestionTableKey(runId, 'sales_order', 2))).toEqual({
    kind: 'ingestion-part',
    runId,
    table: 'sales_order',
    part: 2,
  });
  expect(parseLakeKey(processedObjectKey(runId, 'dim_date', 1))).toEqual({
    kind: 'processed-part',
    runId,
    table: 'dim_date',
    part: 1,
  });
  expect(parseLakeKey(`${unitPrefix(runId)}notes.txt`)).toEqual({ kind: 'other', runId });
  expect(parseLakeKey('other/x.json')).toBeNull();
  expect(runIdFromKey(manifestKey(runId))).toBe(runId);
  expect(runIdFromKey('other/x.json')).toBeNull();
  expect(isManifestKey(processedPartManifestKey(runId, 1))).toBe(true);
  expect(isManifestKey(ingestionTableKey(runId, 'staff', 1))).toBe(false);
});
