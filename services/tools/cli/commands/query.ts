import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { s3Client } from '../../../../shared/aws/clients.ts';
import { DEFAULT_PREFIX, pipelineResources } from '../../../../shared/config/resources.ts';
import { LakeManifestError } from '../../ops/query/catalog.ts';
import { awsLakeFiles, type LakeFiles, localLakeFiles } from '../../ops/query/lake-files.ts';
import { renderCsv, renderTable } from '../../ops/query/render.ts';
import { QueryError, runLakeQuery } from '../../ops/query/run-query.ts';
import { CliError, UsageError } from '../errors.ts';
import { addStateDirOption, resolveStateDir, type StateDirOption } from '../options.ts';

interface QueryOptions extends StateDirOption {
  readonly aws?: boolean;
  readonly prefix?: string;
  readonly csv?: boolean;
  readonly json?: boolean;
}

export async function queryCommand(
  statement: string,
  options: QueryOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  if (options.csv && options.json) throw new UsageError('give either --csv or --json, not both');
  if (statement.trim() === '') throw new UsageError('no SQL statement given');
  const prefix = options.prefix ?? process.env.TOTES_PREFIX ?? DEFAULT_PREFIX;
  const stateDir = resolveStateDir(options);
  let files: LakeFiles;
  let buckets: { ingestion: string; processed: string };
  if (options.aws) {
    buckets = pipelineResources(prefix, 'aws').buckets;
    const cacheDir = path.join(stateDir, 'lake-cache', prefix);
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    files = awsLakeFiles(s3Client(), cacheDir);
  } else {
    const s3Root = path.join(stateDir, 'aws', 's3');
    if (!existsSync(s3Root)) {
      throw new UsageError(
        `no local lake in ${stateDir} (run \`totes start\` or \`totes run\` first, or pass --aws)`,
      );
    }
    buckets = pipelineResources(prefix, 'local').buckets;
    files = localLakeFiles(s3Root);
  }
  const result = await runLakeQuery(statement, {
    files,
    buckets,
    onlyReferenced: options.aws === true,
  }).catch((error: unknown) => {
    if (error instanceof QueryError) throw new UsageError(`query: ${error.message}`);
    if (error instanceof LakeManifestError) throw new CliError(error.message, { exitCode: 2 });
    const aws = error as { $metadata?: unknown; name?: string; message?: string };
    if (aws.$metadata !== undefined) {
      throw new CliError(`S3 (${buckets.processed}, ${buckets.ingestion}): ${aws.name}: ${aws.message}`, {
        exitCode: 2,
        cause: error,
      });
    }
    throw error;
  });
  if (options.json) out.write(`${JSON.stringify(result.rows)}\n`);
  else if (options.csv) out.write(renderCsv(result));
  else out.write(renderTable(result));
}

export function register(program: Command): void {
  const command = program
    .command('query')
    .argument('<sql>', 'one SQL statement (DuckDB dialect)')
    .description(
      "SQL over the lake with DuckDB: a view per warehouse table as the warehouse holds it (`fact_sales_order`, `dim_staff`, ...), `raw.<table>` with every row of every Parquet file and its `filename`, and `ingestion.<source table>` over the extract's JSON; locally from the state folder, with --aws from the deployment's buckets (objects downloaded once into <state-dir>/lake-cache)",
    )
    .option('--aws', "read the deployment's buckets (region and credentials from the standard AWS chain)")
    .option(
      '--prefix <prefix>',
      `deployment prefix of the bucket names (env TOTES_PREFIX, default ${DEFAULT_PREFIX})`,
    )
    .option('--csv', 'print CSV (RFC 4180) instead of a table')
    .option('--json', 'print one JSON array of row objects');
  addStateDirOption(command);
  command.addHelpText(
    'after',
    `
Examples:
  totes query "select date_trunc('month', created_date) as month, count(*) as orders, sum(units_sold * unit_price) as revenue from fact_sales_order group by 1 order by 1"
  totes query --csv "select * from dim_currency"
  totes query "select filename, count(*) from raw.fact_payment group by 1"
  totes query --aws --prefix totes-prod "select count(*) from ingestion.sales_order"`,
  );
  command.action((statement: string, options: QueryOptions) => queryCommand(statement, options));
}
