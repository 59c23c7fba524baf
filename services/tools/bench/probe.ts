/**
 * One measured piece of work in a fresh Node process, so its peak RSS is its own
 * (`process.resourceUsage().maxRSS` at the end). Started by the benchmark (services/tools/bench), never
 * by users: `node services/tools/bench/probe.ts <kind> '<json arguments>'`. The AWS endpoints and
 * credentials come from the environment the parent inherited from the local stack.
 *
 * Prints one line `BENCH_RESULT {...}` with `seconds` (the work alone, module loading and
 * connections excluded where possible) and `maxRssMb`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { dynamoDbDocumentClient, s3Client } from '../../../shared/aws/clients.ts';
import { migrateWarehouse } from '../../../shared/db/migrate.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { type IngestionManifest, isManifestKey, unitPrefix } from '../../../shared/lake/index.ts';
import type { S3ObjectRef } from '../../../shared/s3-events/index.ts';
import {
  SOURCE_TABLES,
  type SourceColumnType,
  type SourceTableName,
} from '../../../shared/schema/totesys.ts';
import type { ProcessContext } from '../../../shared/sqs-consumer/index.ts';

export const RESULT_MARK = 'BENCH_RESULT ';

type Args = Record<string, unknown>;

const str = (args: Args, name: string): string => {
  const value = args[name];
  if (typeof value !== 'string') throw new Error(`probe: argument ${name} missing`);
  return value;
};

function report(result: Record<string, unknown>): void {
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ ...result, maxRssMb })}\n`);
}

const since = (t0: number) => (performance.now() - t0) / 1000;

async function seed(args: Args): Promise<void> {
  const { seedSource } = await import('../simulator/seed.ts');
  const pool = await createDatabasePool(str(args, 'sourceUrl'), { applicationName: 'totes-bench-seed' });
  try {
    const t0 = performance.now();
    const result = await seedSource(pool, { scale: Number(args.scale), seed: Number(args.seed ?? 1) });
    report({ seconds: since(t0), counts: result.counts });
  } finally {
    await pool.end();
  }
}

async function extract(args: Args): Promise<void> {
  const { runExtract } = await import('../../lambdas/extract/run-extract.ts');
  const pool = await createDatabasePool(str(args, 'sourceUrl'), {
    maximumPoolSize: 2,
    applicationName: 'totes-bench-extract',
  });
  const s3 = s3Client();
  try {
    const t0 = performance.now();
    const units: { runId: string; manifestKey: string }[] = [];
    let rows = 0;
    let runs = 0;
    // A source above one run's row budget takes several runs (each goes on where the last stopped).
    for (let backlog = true; backlog; ) {
      const result = await runExtract({
        pool,
        s3,
        dynamo: dynamoDbDocumentClient(),
        bucket: str(args, 'bucket'),
        stateTable: str(args, 'stateTable'),
      });
      if (result.status !== 'extracted') throw new Error(`probe extract: ${result.status}`);
      runs++;
      rows += result.rows;
      units.push(...result.units.map((u) => ({ runId: u.runId, manifestKey: u.manifestKey })));
      backlog = result.backlog;
    }
    report({ seconds: since(t0), rows, runs, units });
  } finally {
    s3.destroy();
    await pool.end();
  }
}

async function manifestRef(bucket: string, key: string): Promise<S3ObjectRef> {
  const s3 = s3Client();
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { bucket, key, eTag: (head.ETag ?? '').replaceAll('"', ''), eventName: 'ObjectCreated:Put' };
  } finally {
    s3.destroy();
  }
}

const strings = (args: Args, name: string): string[] => {
  const value = args[name];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`probe: argument ${name} missing`);
  return value;
};

/** Every unit one after the other, as a warm container would (peak RSS: the largest unit's). */
async function transform(args: Args): Promise<void> {
  const { transformUnit } = await import('../../lambdas/transform/unit.ts');
  const bucket = str(args, 'bucket');
  const refs = [];
  for (const key of strings(args, 'manifestKeys')) refs.push(await manifestRef(bucket, key));
  const s3 = s3Client();
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let objects = 0;
    const rows: Record<string, number> = {};
    const unitSeconds: number[] = [];
    for (const ref of refs) {
      const t1 = performance.now();
      const result = await transformUnit(ref, { s3, processedBucket: str(args, 'processedBucket') });
      unitSeconds.push(Math.round(since(t1) * 100) / 100);
      objects += result.objects;
      for (const [table, n] of Object.entries(result.rows)) rows[table] = (rows[table] ?? 0) + n;
    }
    const cpu = process.cpuUsage(cpu0);
    // CPU time (user + system) of the work beside its wall time: the honest figure on a shared machine.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    report({ seconds: since(t0), cpuSeconds, units: refs.length, rows, objects, unitSeconds });
  } finally {
    s3.destroy();
  }
}

async function listManifests(bucket: string, prefix: string): Promise<string[]> {
  const s3 = s3Client();
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key && isManifestKey(o.Key)) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    s3.destroy();
  }
  return keys.sort();
}

async function load(args: Args): Promise<void> {
  const { createLoadProcessor } = await import('../../lambdas/load/processor.ts');
  const bucket = str(args, 'processedBucket');
  const manifests: string[] = [];
  for (const runId of strings(args, 'runIds'))
    manifests.push(...(await listManifests(bucket, unitPrefix(runId))));
  const pool = await createDatabasePool(str(args, 'warehouseUrl'), {
    maximumPoolSize: 2,
    applicationName: 'totes-bench-load',
  });
  await migrateWarehouse(pool);
  const s3 = s3Client();
  const logger = new Logger({ serviceName: 'totes-bench-load', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'totes-bench', serviceName: 'totes-bench-load' });
  const processor = createLoadProcessor({ pool: async () => pool, s3: () => s3 });
  try {
    const t0 = performance.now();
    let inserted = 0;
    // Seconds of each manifest in load order: shows whether a part's cost grows with the warehouse.
    const manifestSeconds: number[] = [];
    for (const key of manifests) {
      const ref = await manifestRef(bucket, key);
      const ctx = { stage: 'load', logger, metrics, attempt: 1, runId: null } as unknown as ProcessContext;
      const t1 = performance.now();
      const result = await processor(ref, ctx);
      manifestSeconds.push(Math.round(since(t1) * 100) / 100);
      inserted += result.rowsInserted;
    }
    report({ seconds: since(t0), manifests: manifests.length, rowsInserted: inserted, manifestSeconds });
  } finally {
    s3.destroy();
    await pool.end();
  }
}

const DUCKDB_TYPES: Record<SourceColumnType, string> = {
  int: 'INTEGER',
  varchar: 'VARCHAR',
  numeric: 'DECIMAL(12,2)',
  timestamp: 'TIMESTAMP_MS',
  boolean: 'BOOLEAN',
};

/** Downloads the ingestion unit's table objects to `dir` (not timed); returns the files. */
async function downloadUnits(
  bucket: string,
  manifestKeys: readonly string[],
  dir: string,
): Promise<{ file: string; table: SourceTableName }[]> {
  const s3 = s3Client();
  try {
    const text = async (key: string) =>
      (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ??
      '';
    const files: { file: string; table: SourceTableName }[] = [];
    for (const [u, manifestKey] of manifestKeys.entries()) {
      const manifest = JSON.parse(await text(manifestKey)) as IngestionManifest;
      const unitDir = path.join(dir, String(u + 1));
      mkdirSync(unitDir, { recursive: true });
      for (const o of manifest.objects) {
        const file = path.join(unitDir, path.basename(o.key));
        writeFileSync(file, await text(o.key));
        files.push({ file, table: o.table });
      }
    }
    return files;
  } finally {
    s3.destroy();
  }
}

/**
 * The physical anchor for the transform: DuckDB reads the same JSON table objects (rows as arrays)
 * and writes one Parquet file per object with the source column types. No joins or derivations:
 * the least work that turns this JSON into typed Parquet. Rows are read as VARCHAR[][] and cast
 * (measured 1.6× faster than JSON[] with JSON-path extraction); each object is one JSON value,
 * which DuckDB parses on one thread.
 */
async function duckdb(args: Args): Promise<void> {
  const dir = str(args, 'dir');
  const files = await downloadUnits(
    str(args, 'bucket'),
    strings(args, 'manifestKeys'),
    path.join(dir, 'json'),
  );
  mkdirSync(path.join(dir, 'parquet'), { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const t0 = performance.now();
  let rows = 0;
  for (const { file, table } of files) {
    const columns = SOURCE_TABLES[table].columns
      .map((c, i) => `CAST(r[${i + 1}] AS ${DUCKDB_TYPES[c.type]}) AS "${c.name}"`)
      .join(', ');
    const out = path.join(
      dir,
      'parquet',
      `${path.basename(path.dirname(file))}-${path.basename(file, '.json')}.parquet`,
    );
    const reader = await connection.runAndReadAll(
      `COPY (SELECT ${columns} FROM (SELECT unnest("rows") AS r FROM read_json(${quote(file)}, columns={"rows": 'VARCHAR[][]'}, maximum_object_size=1073741824))) TO ${quote(out)} (FORMAT parquet)`,
    );
    rows += Number(Object.values(reader.getRowObjects()[0] ?? {})[0] ?? 0);
  }
  const seconds = since(t0);
  connection.closeSync();
  instance.closeSync();
  report({ seconds, rows, files: files.length });
}

/**
 * The local stack of a measured full load (scale-run.ts's first, in its own process, and every
 * repetition here): function timeouts far above Terraform's (300 / 120 / 120 s), so that a loaded
 * machine slows the measurement instead of failing it (a scale-100 extract run took over 900 s at
 * load average ~25, ~90 s quiet).
 */
export const FULL_LOAD_STACK = {
  timeouts: { extract: 3600, transform: 3600, load: 3600 },
  retryDelaySeconds: 1,
  drainTimeoutMs: 90 * 60_000,
} as const;

/**
 * A repetition of the full load in a fresh process (modules, JIT and connections as cold as the
 * first run's): its own local stack and state folder, the source as it is, an empty warehouse.
 */
async function fullLoad(args: Args): Promise<void> {
  const { LocalStack } = await import('../local-runtime/stack.ts');
  const { runOnce } = await import('../local-runtime/run-once.ts');
  const stack = await LocalStack.start({
    stateDir: str(args, 'stateDir'),
    sourceUrl: str(args, 'sourceUrl'),
    warehouseUrl: str(args, 'warehouseUrl'),
    timeouts: FULL_LOAD_STACK.timeouts,
    retryDelaySeconds: FULL_LOAD_STACK.retryDelaySeconds,
  });
  try {
    const full = await runOnce(stack, { drainTimeoutMs: FULL_LOAD_STACK.drainTimeoutMs });
    report({ seconds: full.seconds.total, summary: full });
  } finally {
    await stack.stop();
  }
}

const PROBES: Record<string, (args: Args) => Promise<void>> = {
  seed,
  extract,
  transform,
  load,
  duckdb,
  'full-load': fullLoad,
};

if (import.meta.main) {
  const [kind = '', json = '{}'] = process.argv.slice(2);
  const probe = PROBES[kind];
  if (!probe) {
    console.error(`probe: unknown kind ${kind} (${Object.keys(PROBES).join(', ')})`);
    process.exit(2);
  }
  await probe(JSON.parse(json) as Args);
}
