import type { Command } from 'commander';
import { collectStatus, type PipelineStatus, renderStatus } from '../../ops/status/collect.ts';
import { type DeploymentOptions, withDeployment } from '../deployment.ts';
import { CliError } from '../errors.ts';
import { addAwsOptions, addSourceUrlOption, addWarehouseUrlOption } from '../options.ts';

interface StatusOptions extends DeploymentOptions {
  readonly json?: boolean;
}

/** Prints the status; on AWS a warehouse that could not be read is exit 2 after the rest is shown. */
export async function statusCommand(
  options: StatusOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<PipelineStatus> {
  const status = await withDeployment(options, (deployment) => collectStatus(deployment));
  out.write(options.json ? `${JSON.stringify(status)}\n` : `${renderStatus(status)}\n`);
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
    )
    .action(async (options: StatusOptions) => {
      const status = await statusCommand(options);
      if (status.warehouseError !== undefined) {
        throw new CliError(
          `warehouse not read: ${status.warehouseError} (pass --warehouse-url with a URL reachable from here)`,
          { exitCode: 2 },
        );
      }
    });
}
