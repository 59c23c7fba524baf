import type { Command } from 'commander';
import { collectStatus, type PipelineStatus, renderStatus } from '../../ops/status/collect.ts';
import { type DeploymentOptions, withDeployment } from '../deployment.ts';
import { CannotRunError } from '../errors.ts';
import { addAwsOptions, addExamples, addSourceUrlOption, addWarehouseUrlOption } from '../options.ts';
import { writeResult } from '../output.ts';

interface StatusOptions extends DeploymentOptions {
  readonly json?: boolean;
}

/** Prints the status; on AWS a warehouse that could not be read is exit 2 after the rest is shown. */
export async function statusCommand(
  options: StatusOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<PipelineStatus> {
  const status = await withDeployment(options, (deployment) => collectStatus(deployment));
  writeResult(options.json, status, () => renderStatus(status), out);
  return status;
}

export function register(program: Command): void {
  const command = program
    .command('status')
    .description(
      'queues and DLQs (depth, in flight, oldest age), the schedule, watermarks, latest runs, heartbeat, warehouse rows per table and freshness: of the local stack (running or not) or, with --aws, of the AWS deployment',
    );
  addAwsOptions(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option('--json', 'print one JSON object (with `warehouse`: table → rows)')
    .addHelpText(
      'after',
      '\nWith --aws the warehouse URL is --warehouse-url / WAREHOUSE_URL, else the secret the deployed load function reads (WAREHOUSE_SECRET_ID).',
    );
  addExamples(command, [
    ['totes status', 'the local stack in ./.totes, running or not'],
    ['totes status --aws --prefix totes-prod', 'the AWS deployment totes-prod'],
    ['totes status --json | jq .warehouse', 'warehouse rows per table'],
    ['TOTES_STATE_DIR=/tmp/t totes status', 'another state folder'],
  ]);
  command.action(async (options: StatusOptions) => {
    const status = await statusCommand(options);
    if (status.warehouseError !== undefined) {
      throw new CannotRunError(
        `warehouse not read: ${status.warehouseError} (pass --warehouse-url with a URL reachable from here)`,
      );
    }
  });
}
