import type { Command } from 'commander';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { collectStatus, renderStatus } from '../../ops/status/collect.ts';
import {
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';

interface StatusOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption {
  readonly json?: boolean;
}

export async function statusCommand(
  options: StatusOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const stack = await attachLocalStack({
    stateDir: resolveStateDir(options),
    sourceUrl: optionalSourceUrl(options),
    warehouseUrl: optionalWarehouseUrl(options),
  });
  try {
    const status = await collectStatus(stack);
    out.write(options.json ? `${JSON.stringify(status)}\n` : `${renderStatus(status)}\n`);
  } finally {
    await stack.detach();
  }
}

export function register(program: Command): void {
  const command = program
    .command('status')
    .description(
      'queues and DLQs (depth, oldest age), watermarks, latest runs, warehouse rows per table and freshness of the local stack; works while `npm start` runs and when nothing runs',
    );
  addStateDirOption(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option('--json', 'print one JSON object (with `warehouse`: table → rows)')
    .action((options: StatusOptions) => statusCommand(options));
}
