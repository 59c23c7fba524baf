import type { RequestListener, Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { installLevelIteratorReturn } from './level-iterator-return.ts';

/** dynalite ships no types; this is the part of its API used here. */
type Dynalite = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export interface DynamoDbServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * dynalite (DynamoDB on LevelDB) on a free port of 127.0.0.1: in memory, or persisted in `path`
 * (a LevelDB folder; its write-ahead log survives `kill -9`). Tables become ACTIVE at once.
 */
export async function startDynamoDb(
  path?: string,
  options: { wrapListener?: (listener: RequestListener) => RequestListener } = {},
): Promise<DynamoDbServer> {
  // Without it every Query and Scan leaves a LevelDB iterator open (native memory, for good).
  installLevelIteratorReturn();
  const server = dynalite({
    ...(path === undefined ? {} : { path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const { wrapListener } = options;
  if (wrapListener) {
    // Local fault injection wraps dynalite's own request handler (see ../faults/http.ts).
    const listeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    for (const listener of listeners) server.on('request', wrapListener(listener));
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        // dynalite's close also closes LevelDB (waiting for pending writes).
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
