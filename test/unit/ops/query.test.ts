import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readLakeCatalog } from '../../../services/tools/ops/query/catalog.ts';
import { awsLakeFiles, type LakeFiles } from '../../../services/tools/ops/query/lake-files.ts';
import { renderCsv, renderTable } from '../../../services/tools/ops/query/render.ts';
import { referencedTables } from '../../../services/tools/ops/query/run-query.ts';
import { ingestionView, warehouseView } from '../../../services/tools/ops/query/views.ts';
import { PROCESSED_MANIFEST_FORMAT } from '../../../shared/lake/index.ts';

describe('referencedTables', () => {
  it('finds warehouse tables by word and source tables only under ingestion.', () => {
    expect(
      referencedTables(
        'SELECT * FROM fact_sales_order f JOIN "dim_staff" s USING (x), ingestion."transaction"',
      ),
    ).toEqual({ warehouse: ['dim_staff', 'fact_sales_order'], ingestion: ['transaction'] });
    // `payment` inside fact_payment is not the source table, nor is a bare source name.
    expect(referencedTables('select * from fact_payment, payment')).toEqual({
      warehouse: ['fact_payment'],
      ingestion: [],
    });
  });
});

describe('view definitions', () => {
  it('quote names and paths so a quote in a path cannot end the literal', () => {
    const view = ingestionView('transaction', ["/tmp/o'brien/x.json"]);
    expect(view).toContain(`'/tmp/o''brien/x.json'`);
    expect(view).toContain('ingestion."transaction"');
    expect(view).toContain('CAST(r->>4 AS TIMESTAMP) AS "created_at"');
  });
  it('keep the newest version per id for dimensions, distinct rows for facts', () => {
    expect(warehouseView('dim_staff', 'staff_id')).toMatch(
      /PARTITION BY "staff_id" ORDER BY source_version DESC/,
    );
    expect(warehouseView('fact_payment', 'payment_id')).toMatch(/SELECT DISTINCT \* EXCLUDE \(filename\)/);
    expect(warehouseView('dim_date', 'date_id')).toMatch(/SELECT DISTINCT/);
  });
});

describe('rendering', () => {
  const result = {
    columns: ['name', 'amount'],
    rows: [
      { name: 'Leannon, Predovic and "Morar"', amount: '12.50' },
      { name: 'line\nbreak\u001b[2J', amount: null },
    ],
  };
  it('CSV quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(renderCsv(result)).toBe(
      'name,amount\r\n"Leannon, Predovic and ""Morar""",12.50\r\n"line\nbreak\u001b[2J",\r\n',
    );
  });
  it('the table escapes control characters and right-aligns numbers', () => {
    const text = renderTable(result);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('line\\u000abreak\\u001b[2J');
    expect(text.split('\n')[2]).toMatch(/ 12\.50$/);
    expect(text.trimEnd().endsWith('(2 rows)')).toBe(true);
  });
});

describe('awsLakeFiles', () => {
  const s3 = mockClient(S3Client);
  let cache: string;
  beforeEach(() => {
    s3.reset();
    cache = mkdtempSync(path.join(tmpdir(), 'totes-query-cache-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('lists every page of keys', async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: 'units/a/manifest.json' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .on(ListObjectsV2Command, { ContinuationToken: 't1' })
      .resolves({ Contents: [{ Key: 'units/b/manifest.json' }], IsTruncated: false });
    const files = awsLakeFiles(new S3Client({ region: 'eu-west-2' }), cache);
    const keys: string[] = [];
    for await (const key of files.listKeys('bucket', 'units/')) keys.push(key);
    expect(keys).toEqual(['units/a/manifest.json', 'units/b/manifest.json']);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'units/',
      'units/',
    ]);
  });

  it('downloads an object once into a private cache file', async () => {
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('{"ok":true}')]) }));
    const files = awsLakeFiles(new S3Client({ region: 'eu-west-2' }), cache);
    const first = await files.localPath('bucket', 'units/2026/x/dim_staff.0001.parquet');
    const second = await files.localPath('bucket', 'units/2026/x/dim_staff.0001.parquet');
    expect(second).toBe(first);
    expect(first.startsWith(cache)).toBe(true);
    expect(readFileSync(first, 'utf8')).toBe('{"ok":true}');
    expect(statSync(first).mode & 0o777).toBe(0o600);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('refuses a key that would leave the cache', async () => {
    const files = awsLakeFiles(new S3Client({ region: 'eu-west-2' }), cache);
    await expect(files.localPath('bucket', 'units/../../etc/passwd')).rejects.toThrow(/not a lake key/);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});

describe('readLakeCatalog with replayed units', () => {
  it('lists only the newest generation of each unit (the warehouse holds only that one)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'totes-catalog-'));
    try {
      const run = '20261130T140500123Z-aaaa0001';
      const files: Record<string, unknown> = {
        [`processed/units/2026/11/30/${run}/manifest.json`]: {
          format: PROCESSED_MANIFEST_FORMAT,
          unitId: `units/2026/11/30/${run}/manifest.json`,
          objects: [
            { table: 'fact_sales_order', key: `units/2026/11/30/${run}/fact_sales_order.0001.parquet` },
          ],
        },
        [`processed/units/2026/11/30/${run}/generation-0002/manifest.json`]: {
          format: PROCESSED_MANIFEST_FORMAT,
          unitId: `units/2026/11/30/${run}/manifest.json`,
          generation: 2,
          objects: [
            {
              table: 'fact_sales_order',
              key: `units/2026/11/30/${run}/generation-0002/fact_sales_order.0001.parquet`,
            },
          ],
        },
      };
      for (const [key, value] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
        writeFileSync(path.join(dir, key), JSON.stringify(value));
      }
      const lake: LakeFiles = {
        async *listKeys(bucket) {
          for (const key of Object.keys(files))
            if (key.startsWith(`${bucket}/`)) yield key.slice(bucket.length + 1);
        },
        localPath: async (bucket, key) => path.join(dir, bucket, key),
      };
      const catalog = await readLakeCatalog(lake, { processed: 'processed', ingestion: 'ingestion' });
      expect(catalog.processed.get('fact_sales_order')).toEqual([
        `units/2026/11/30/${run}/generation-0002/fact_sales_order.0001.parquet`,
      ]);
      expect(catalog.manifests.processed).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
