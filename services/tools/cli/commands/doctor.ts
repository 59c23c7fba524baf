import { existsSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { dynamoDbClient, s3Client, secretsManagerClient, sqsClient } from '../../../../shared/aws/clients.ts';
import { DEFAULT_PREFIX, pipelineResources } from '../../../../shared/config/resources.ts';
import { databaseUrlFromSecret } from '../../../../shared/db/credentials.ts';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { LOCAL_CREDENTIALS } from '../../local-runtime/aws/index.ts';
import { fail } from '../../ops/doctor/check.ts';
import {
  type CheckResult,
  type DoctorTarget,
  exitCodeOf,
  renderReport,
  reportJson,
  runDoctor,
} from '../../ops/doctor/index.ts';
import { CliError, redactUrl, UsageError } from '../errors.ts';
import {
  addSourceUrlOption,
  addWarehouseUrlOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolveStateDir,
  type SourceUrlOption,
  type WarehouseUrlOption,
} from '../options.ts';

/**
 * `totes doctor`: a preflight of the source, the warehouse and the AWS resources. Locally it
 * attaches to the stack in the state folder without changing it (a running `totes start`, or the
 * folder's own stand-ins and embedded PostgreSQL, started read-only in intent: nothing is created
 * or migrated), or checks the databases given by URL; with `--aws` it checks the deployment of
 * `--prefix` in the environment's account and region, and the databases named by the secrets.
 * Exit 0 when nothing FAILs (WARN is not a failure), 1 when a check fails, 2 when doctor could not
 * run at all.
 */

export interface DoctorOptions extends SourceUrlOption, WarehouseUrlOption {
  readonly stateDir?: string;
  readonly aws?: boolean;
  readonly prefix?: string;
  readonly sourceSecret?: string;
  readonly warehouseSecret?: string;
  readonly json?: boolean;
}

export interface DoctorIo {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

const DEFAULT_SOURCE_SECRET = 'totes/totesys';
const DEFAULT_WAREHOUSE_SECRET = 'totes/warehouse';

function awsErrorIsFatal(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return /Credential|ExpiredToken|UnrecognizedClient|InvalidClientTokenId|AccessDenied|Region|ENOTFOUND|EAI_AGAIN/.test(
    `${name} ${(error as Error).message ?? ''}`,
  );
}

/** A database URL from a Secrets Manager secret, or a FAIL check saying why it could not be read. */
async function urlFromSecret(
  label: 'source' | 'warehouse',
  secretId: string,
): Promise<{ url: string } | { check: CheckResult }> {
  const client = secretsManagerClient();
  try {
    const secret = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!secret.SecretString) throw new Error(`secret ${secretId} has no SecretString`);
    return { url: databaseUrlFromSecret(secretId, secret.SecretString) };
  } catch (error) {
    if (awsErrorIsFatal(error)) throw error;
    return {
      check: fail(
        label,
        `${label} secret`,
        `cannot read secret ${secretId}: ${(error as Error).name}: ${(error as Error).message}`,
        `create it (JSON {url} or {username,password,host,port,dbname}) or pass --${label}-secret / --${label}-url`,
      ),
    };
  } finally {
    client.destroy();
  }
}

async function awsTarget(options: DoctorOptions, env: NodeJS.ProcessEnv): Promise<DoctorTarget> {
  if (options.stateDir) throw new UsageError('give either --aws or --state-dir, not both');
  const prefix = options.prefix ?? env.TOTES_PREFIX ?? DEFAULT_PREFIX;
  const resources = pipelineResources(prefix, 'aws');
  const preChecks: CheckResult[] = [];
  const url = async (label: 'source' | 'warehouse', given: string | undefined, secretId: string) => {
    if (given) return given;
    const found = await urlFromSecret(label, secretId);
    if ('check' in found) {
      preChecks.push(found.check);
      return undefined;
    }
    return found.url;
  };
  const sourceUrl = await url(
    'source',
    optionalSourceUrl(options, env),
    options.sourceSecret ?? env.TOTESYS_SECRET_ID ?? DEFAULT_SOURCE_SECRET,
  );
  const warehouseUrl = await url(
    'warehouse',
    optionalWarehouseUrl(options, env),
    options.warehouseSecret ?? env.WAREHOUSE_SECRET_ID ?? DEFAULT_WAREHOUSE_SECRET,
  );
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'eu-west-2';
  return {
    kind: 'aws',
    description: `AWS deployment "${prefix}" in ${region}`,
    sourceUrl,
    warehouseUrl,
    warehouseFixUrl: warehouseUrl ? redactUrl(warehouseUrl) : undefined,
    resources: {
      clients: { sqs: sqsClient(), s3: s3Client(), dynamodb: dynamoDbClient() },
      options: {
        mode: 'aws',
        resources,
        recreate: `terraform -chdir=infra-terraform apply -var prefix=${prefix} (it declares the resource as resources.ts does)`,
      },
    },
    preChecks,
    notChecked: [],
  };
}

export async function doctorCommand(
  options: DoctorOptions,
  io: DoctorIo = { out: process.stdout, err: process.stderr, env: process.env },
): Promise<number> {
  const { env } = io;
  let target: DoctorTarget;
  let detach: () => Promise<void> = async () => {};
  const sourceUrl = () => optionalSourceUrl(options, env);
  const warehouseUrl = () => optionalWarehouseUrl(options, env);
  if (options.aws) {
    try {
      target = await awsTarget(options, env);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`could not reach AWS: ${(error as Error).name}: ${(error as Error).message}`, {
        exitCode: 2,
        cause: error,
      });
    }
  } else {
    if (options.prefix !== undefined)
      throw new UsageError('--prefix goes with --aws (the local stack is always "totes")');
    const stateDir = resolveStateDir({ stateDir: options.stateDir ?? env.TOTES_STATE_DIR });
    const source = sourceUrl();
    const warehouse = warehouseUrl();
    if (!existsSync(stateDir)) {
      if (source === undefined && warehouse === undefined) {
        throw new CliError(
          `nothing to check: no local stack in ${stateDir} (start one: npx totes start --state-dir ${stateDir}) and no --source-url / --warehouse-url; for a deployment use --aws`,
          { exitCode: 2 },
        );
      }
      target = {
        kind: 'local',
        description: 'the databases given by URL',
        sourceUrl: source,
        warehouseUrl: warehouse,
        warehouseFixUrl: warehouse ? redactUrl(warehouse) : undefined,
        notChecked: [
          ...(source ? [] : ['source: no --source-url / TOTESYS_URL']),
          ...(warehouse ? [] : ['warehouse: no --warehouse-url / WAREHOUSE_URL']),
          `buckets, queues, notifications, tables: no local stack in ${stateDir} (--state-dir of one, or --aws)`,
        ],
      };
    } else {
      let stack: Awaited<ReturnType<typeof attachLocalStack>>;
      try {
        stack = await attachLocalStack({
          stateDir,
          sourceUrl: source,
          warehouseUrl: warehouse,
          inspectOnly: true,
        });
      } catch (error) {
        throw new CliError(
          `could not attach to the local stack in ${stateDir}: ${(error as Error).message}`,
          {
            exitCode: 2,
            cause: error,
          },
        );
      }
      const clientOptions = { region: stack.region, credentials: LOCAL_CREDENTIALS };
      const clients = {
        sqs: new SQSClient({ ...clientOptions, endpoint: stack.endpoints.sqs }),
        s3: new S3Client({ ...clientOptions, endpoint: stack.endpoints.s3, forcePathStyle: true }),
        dynamodb: new DynamoDBClient({ ...clientOptions, endpoint: stack.endpoints.dynamodb }),
      };
      detach = async () => {
        clients.sqs.destroy();
        clients.s3.destroy();
        clients.dynamodb.destroy();
        await stack.detach();
      };
      target = {
        kind: 'local',
        description: `local stack in ${stateDir} (${stack.running ? 'running' : 'not running: inspected as it is on disk'})`,
        sourceUrl: stack.sourceUrl,
        warehouseUrl: stack.warehouseUrl,
        warehouseFixUrl: redactUrl(stack.warehouseUrl),
        resources: {
          clients,
          options: {
            mode: 'local',
            resources: stack.resources,
            recreate: stack.running
              ? `restart the local stack (Ctrl-C, then npx totes start --state-dir ${stateDir}): it recreates every declared resource`
              : `npx totes start --state-dir ${stateDir} recreates every declared resource`,
          },
        },
        notChecked: [],
      };
    }
  }
  try {
    const report = await runDoctor(target).catch((error: unknown) => {
      if (target.kind === 'aws' && awsErrorIsFatal(error)) {
        throw new CliError(`could not reach AWS: ${(error as Error).name}: ${(error as Error).message}`, {
          exitCode: 2,
          cause: error,
        });
      }
      throw error;
    });
    const colour = !options.json && io.out.isTTY === true && !env.NO_COLOR;
    io.out.write(options.json ? `${reportJson(report)}\n` : `${renderReport(report, { colour })}\n`);
    return exitCodeOf(report);
  } finally {
    await detach();
    if (target.resources && target.kind === 'aws') {
      target.resources.clients.sqs.destroy();
      target.resources.clients.s3.destroy();
      target.resources.clients.dynamodb.destroy();
    }
  }
}

export function register(program: Command): void {
  const command = program
    .command('doctor')
    .description(
      'preflight: the source (SELECT grants, session visibility, TimeZone, UTC stamps, columns, version), the warehouse (migrations, rights, version) and the queues, DLQs, redrive policies, notifications and tables; OK / WARN / FAIL with the fix; exit 0 when nothing fails, 1 when a check fails, 2 when doctor could not run',
    )
    .option(
      '--state-dir <dir>',
      'local stack to check, running or not; never changed (default: $TOTES_STATE_DIR, else ./.totes)',
    );
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option('--aws', 'check the AWS deployment (region and credentials from the standard AWS chain)')
    .option(
      '--prefix <prefix>',
      `with --aws: the deployment prefix (default: $TOTES_PREFIX, else ${DEFAULT_PREFIX})`,
    )
    .option(
      '--source-secret <id>',
      `with --aws, without --source-url: Secrets Manager secret of the source (default: $TOTESYS_SECRET_ID, else ${DEFAULT_SOURCE_SECRET})`,
    )
    .option(
      '--warehouse-secret <id>',
      `with --aws, without --warehouse-url: secret of the warehouse (default: $WAREHOUSE_SECRET_ID, else ${DEFAULT_WAREHOUSE_SECRET})`,
    )
    .option(
      '--json',
      'print one JSON document: {ok, target, summary, checks: [{group, name, status, detail, fix}], notChecked}',
    )
    .action(async (options: DoctorOptions) => {
      const code = await doctorCommand(options);
      if (code !== 0) throw new CliError('some checks failed (see the fixes above)', { exitCode: code });
    });
}
