import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * moto_server (an independent implementation of the AWS APIs, Python) where it is installed.
 * Tests that need it run with `testWithMoto`, which is Jest's `test` when moto_server is on PATH
 * and `test.skip` otherwise, so the run reports them as skipped, never as passed.
 */
export const MOTO_SERVER = (process.env.PATH ?? '')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'moto_server'))
  .find((file) => existsSync(file));

export const testWithMoto: typeof test = MOTO_SERVER ? test : test.skip;

export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/** Starts moto_server on 127.0.0.1 and resolves once it prints that it is serving. */
export async function startMoto(): Promise<Moto> {
  if (!MOTO_SERVER) throw new Error('moto_server is not on PATH');
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // Werkzeug announces "Running on http://127.0.0.1:<port>" on stderr once it listens.
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('Running on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`moto_server exited with ${code}: ${seen.slice(-500)}`)));
  });
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    },
  };
}
