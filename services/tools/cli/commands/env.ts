import type { Command } from 'commander';
import { attachRunningStack } from '../../local-runtime/attach.ts';
import { ALL_ENV_NAMES, renderExports, renderUnset, stackVariables } from '../../ops/env/variables.ts';
import { CliError } from '../errors.ts';
import { addStateDirOption, resolveStateDir, type StateDirOption } from '../options.ts';

/**
 * `totes env`: `export` lines that point psql, the AWS CLI, DuckDB and the SDKs at the running
 * local stack: `eval "$(npx totes env)"`. `--unset` prints the matching `unset` line.
 */

interface EnvCommandOptions extends StateDirOption {
  readonly pg: boolean;
  readonly json?: boolean;
  readonly unset?: boolean;
}

export async function envCommand(
  options: EnvCommandOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  if (options.unset) {
    out.write(`${renderUnset(ALL_ENV_NAMES)}\n`);
    return;
  }
  const stateDir = resolveStateDir(options);
  // Only a running stack has endpoints to point at: this never starts one.
  const stack = await attachRunningStack({ stateDir });
  if (!stack) {
    throw new CliError(
      `no totes stack runs on ${stateDir}: start one (\`npx totes start --state-dir ${stateDir}\`) and run this again`,
      { exitCode: 2 },
    );
  }
  const vars = stackVariables(stack, { pg: options.pg });
  if (options.json) {
    out.write(`${JSON.stringify(vars)}\n`);
    return;
  }
  out.write(`# the totes stack running on ${stack.stateDir}; undo with: eval "$(npx totes env --unset)"\n`);
  out.write(`${renderExports(vars)}\n`);
}

export function register(program: Command): void {
  const command = program
    .command('env')
    .description(
      'print `export` lines pointing psql, the AWS CLI and DuckDB at the running local stack: eval "$(npx totes env)"',
    );
  addStateDirOption(command);
  command
    .option('--no-pg', 'leave out PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE (use "$WAREHOUSE_URL" instead)')
    .option('--json', 'print one JSON object {NAME: value} instead of export lines')
    .option('--unset', 'print the `unset` line that undoes `eval "$(npx totes env)"`')
    .addHelpText(
      'after',
      '\nThen: psql -c "select count(*) from fact_sales_order", aws s3 ls s3://totes-processed/, aws dynamodb list-tables.\nAWS CLI v1 ignores AWS_ENDPOINT_URL_SQS for SQS: aws --endpoint-url "$AWS_ENDPOINT_URL_SQS" sqs list-queues.',
    )
    .action((options: EnvCommandOptions) => envCommand(options));
}
