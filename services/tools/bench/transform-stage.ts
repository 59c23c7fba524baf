/**
 * Measures the transform on a synthetic unit (not a test: numbers vary with the machine).
 *
 *   node services/tools/bench/transform-stage.ts [factRows=100000] [mode=memory|derive|s3]
 *
 * The unit holds `factRows` fact rows (half sales_order, half payment, plus one transaction per
 * payment as dim_transaction) in parts of 20,000 rows like the extract writes them, and the
 * partners they reference. `memory`: JSON text → validate → transform → Parquet, no I/O. `derive`:
 * the same without the Parquet encoding (the transform's own share: parse, validate, derive). `s3`: the
 * whole transformUnit against an in-process fauxqs S3. Prints wall time, CPU time (the honest
 * number on a shared machine) and peak RSS.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  INGESTION_MANIFEST_FORMAT,
  INGESTION_TABLE_FORMAT,
  type IngestionManifest,
  type IngestionManifestObject,
  ingestionTableKey,
  manifestKey,
  type SourceValue,
} from '../../../shared/lake/index.ts';
import { writeParquet } from '../../../shared/parquet/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { UnitTransformer } from '../../lambdas/transform/derive.ts';
import { HeldRows, heldRow, namedRow } from '../../lambdas/transform/held.ts';
import { PARQUET_SCHEMAS } from '../../lambdas/transform/parquet-schemas.ts';
import { transformUnit } from '../../lambdas/transform/unit.ts';
import { parseJson, validateManifest, validateTableObject } from '../../lambdas/transform/validate.ts';

const factRows = Number(process.argv[2] ?? 100_000);
const mode = process.argv[3] ?? 'memory';
const PART = 20_000;
const runId = '20240301T000000000Z-bench';
const ts = (i: number) =>
  `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')} 12:34:56.${String(i % 1000).padStart(3, '0')}`;
const day = (i: number) => ts(i).slice(0, 10);

function rowsFor(table: SourceTableName, count: number): SourceValue[][] {
  const out: SourceValue[][] = [];
  for (let i = 1; i <= count; i++) {
    const values: Record<string, SourceValue> = {
      created_at: ts(i),
      last_updated: ts(i + 1),
      address_id: i,
      address_line_1: `${i} Herzog Via`,
      address_line_2: i % 3 === 0 ? 'Flat 1' : null,
      district: i % 2 === 0 ? 'Avon' : null,
      city: 'Leeds',
      postal_code: '01234',
      country: 'Turkey',
      phone: '1803 637401',
      counterparty_id: i,
      counterparty_legal_name: "O'Keefe, Lakin",
      legal_address_id: i,
      commercial_contact: null,
      delivery_contact: null,
      currency_id: i,
      currency_code: ['GBP', 'USD', 'EUR'][(i - 1) % 3]!,
      department_id: i,
      department_name: 'Sales',
      location: 'Manchester',
      manager: 'R',
      staff_id: i,
      first_name: 'A',
      last_name: "O'Keefe",
      email_address: 'a@b.c',
      design_id: i,
      design_name: 'Wooden',
      file_location: '/usr',
      file_name: 'w.json',
      payment_type_id: i,
      payment_type_name: 'SALES_RECEIPT',
      sales_order_id: i,
      units_sold: 1000 + i,
      unit_price: `${2 + (i % 2)}.${String(i % 100).padStart(2, '0')}`,
      agreed_delivery_date: day(i + 3),
      agreed_payment_date: day(i + 2),
      agreed_delivery_location_id: 1,
      transaction_id: i,
      transaction_type: 'SALE',
      purchase_order_id: null,
      payment_id: i,
      payment_amount: `${(1000 + i) * 3}.${String(i % 100).padStart(2, '0')}`,
      paid: i % 2 === 0,
      payment_date: day(i + 2),
      company_ac_number: 12345678,
      counterparty_ac_number: 87654321,
    };
    if (table !== 'address' && table !== 'counterparty') values.legal_address_id = 1;
    if (table === 'staff') values.department_id = 1;
    if (['sales_order', 'payment', 'transaction'].includes(table)) {
      Object.assign(values, {
        design_id: 1,
        staff_id: 1,
        counterparty_id: 1,
        currency_id: 1,
        payment_type_id: 1,
      });
    }
    out.push(SOURCE_TABLES[table].columns.map((c) => values[c.name]!));
  }
  return out;
}

function unitTexts(): { manifest: IngestionManifest; texts: Map<string, string> } {
  const counts: Partial<Record<SourceTableName, number>> = {
    address: 1,
    counterparty: 1,
    currency: 3,
    department: 1,
    staff: 1,
    design: 1,
    payment_type: 1,
    sales_order: Math.ceil(factRows / 2),
    payment: Math.floor(factRows / 2),
    transaction: Math.floor(factRows / 2),
  };
  const texts = new Map<string, string>();
  const objects: IngestionManifestObject[] = [];
  for (const [table, count] of Object.entries(counts) as [SourceTableName, number][]) {
    const rows = rowsFor(table, count);
    for (let start = 0, part = 1; start < rows.length; start += PART, part++) {
      const slice = rows.slice(start, start + PART);
      const key = ingestionTableKey(runId, table, part);
      texts.set(
        key,
        JSON.stringify({
          format: INGESTION_TABLE_FORMAT,
          runId,
          table,
          part,
          columns: SOURCE_TABLES[table].columns.map((c) => ({ name: c.name, type: c.type })),
          rows: slice,
        }),
      );
      objects.push({ table, key, part, rows: slice.length });
    }
  }
  const manifest: IngestionManifest = {
    format: INGESTION_MANIFEST_FORMAT,
    runId,
    extractedAt: '2024-03-01 00:00:00.000',
    windows: {},
    changedRows: counts,
    objects,
  };
  return { manifest, texts };
}

const { manifest, texts } = unitTexts();
const inputBytes = [...texts.values()].reduce((n, t) => n + t.length, 0);
let outputBytes = 0;
const started = performance.now();
const cpuStarted = process.cpuUsage();

if (mode === 'memory' || mode === 'derive') {
  const encode = mode === 'memory';
  const checked = validateManifest(parseJson(JSON.stringify(manifest), 'manifest'), manifestKey(runId));
  // The production path: rows that cannot be carried are held (none are here), as transformUnit does.
  const held = new HeldRows();
  const transformer = new UnitTransformer((table, row, object, error) =>
    held.add(heldRow(table, object, namedRow(table, row), error), error),
  );
  for (const entry of checked.objects) {
    const part = validateTableObject(
      parseJson(texts.get(entry.key)!, entry.key),
      entry,
      runId,
      (row, error) => held.add(heldRow(entry.table, entry.key, row, error), error),
    );
    const facts = transformer.addTable(part);
    if (encode && facts && facts.rows.length > 0)
      outputBytes += writeParquet(PARQUET_SCHEMAS[facts.table], facts.rows).buffer.length;
  }
  for (const d of transformer.dimensionOutputs()) {
    if (encode && d.rows.length > 0)
      outputBytes += writeParquet(PARQUET_SCHEMAS[d.table], d.rows).buffer.length;
  }
} else {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false });
  const s3 = new S3Client({
    region: 'eu-west-2',
    endpoint: `http://127.0.0.1:${server.port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'in' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'out' }));
  for (const [key, text] of texts)
    await s3.send(new PutObjectCommand({ Bucket: 'in', Key: key, Body: text }));
  await s3.send(
    new PutObjectCommand({ Bucket: 'in', Key: manifestKey(runId), Body: JSON.stringify(manifest) }),
  );
  texts.clear();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await transformUnit(
    { bucket: 'in', key: manifestKey(runId), eTag: 'bench', eventName: 'ObjectCreated:Put' },
    { s3, processedBucket: 'out' },
  );
  const unitCpu = process.cpuUsage(cpu0);
  console.log(
    `transformUnit alone: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((unitCpu.user + unitCpu.system) / 1e6).toFixed(2)} s CPU (with the emulator's share), rows ${JSON.stringify(result.rows)}`,
  );
  s3.destroy();
  await server.stop();
}

const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log(
  `${mode}: ${factRows} fact rows (+${Math.floor(factRows / 2)} dim_transaction), input JSON ${(inputBytes / 1e6).toFixed(1)} MB` +
    `${outputBytes ? `, Parquet ${(outputBytes / 1e6).toFixed(1)} MB` : ''}: ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU (this process, includes the in-process S3 emulator in s3 mode), peak RSS ${peakMb.toFixed(0)} MB`,
);
