/**
 * A TCP proxy in front of a PostgreSQL server whose behaviour a test switches: `forward` (a normal
 * server), `stall` (accepts connections and never answers: a server that stopped answering) or
 * `reset-on-query` (completes the connection, then resets it when the first query arrives: a
 * server or network dropping connections). Listens on 127.0.0.1 only.
 */
import net from 'node:net';

export type ServerBehaviour = 'forward' | 'stall' | 'reset-on-query';

export interface UnresponsiveServer {
  /** The target URL with this proxy's port. */
  readonly url: string;
  behaviour: ServerBehaviour;
  close(): Promise<void>;
}

/** Frontend message types that start a query: simple Query ('Q') and extended Parse ('P'). */
const QUERY_MESSAGES = new Set([0x51, 0x50]);

export async function startUnresponsiveServer(targetUrl: string): Promise<UnresponsiveServer> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const state = { behaviour: 'forward' as ServerBehaviour };
  const server = net.createServer((client) => {
    track(client);
    if (state.behaviour === 'stall') return; // accepted, never answered
    const upstream = net.connect(Number(target.port), target.hostname);
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    let startup = true; // the startup message has no type byte
    client.on('data', (chunk) => {
      if (!startup && state.behaviour === 'reset-on-query' && QUERY_MESSAGES.has(chunk[0]!)) {
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      startup = false;
      if (state.behaviour !== 'stall') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (state.behaviour !== 'stall') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(value: ServerBehaviour) {
      state.behaviour = value;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
