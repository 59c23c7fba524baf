import { AsyncLocalStorage } from 'node:async_hooks';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

/**
 * A function's stdout and stderr go to its log, as on AWS where they become the CloudWatch log
 * stream: the local runtime runs each handler (its import, its invocations) inside
 * `FunctionLog.run`, and while the process's stdout/stderr are routed (`route`), every write made
 * in that async context is appended to the log file instead. Powertools writes one compact JSON
 * object per line there (logs and EMF metrics alike): `.totes/logs/pipeline.log` is JSON lines.
 * Everything else the process prints (the CLI's own output, the live view) is untouched.
 */

type Write = NodeJS.WriteStream['write'];

const current = new AsyncLocalStorage<FunctionLog>();

interface Routing {
  users: number;
  readonly stdout: Write;
  readonly stderr: Write;
}

let routing: Routing | undefined;

function routed(original: Write): Write {
  return function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const log = current.getStore();
    if (log === undefined) return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    log.append(chunk);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  } as Write;
}

/** Routes the process's stdout/stderr by async context (counted: the last `unroute` restores them). */
function route(): () => void {
  if (!routing) {
    routing = { users: 0, stdout: process.stdout.write, stderr: process.stderr.write };
    process.stdout.write = routed(routing.stdout);
    process.stderr.write = routed(routing.stderr);
  }
  routing.users += 1;
  let done = false;
  return () => {
    if (done || !routing) return;
    done = true;
    routing.users -= 1;
    if (routing.users === 0) {
      process.stdout.write = routing.stdout;
      process.stderr.write = routing.stderr;
      routing = undefined;
    }
  };
}

export class FunctionLog {
  private readonly stream: WriteStream;
  private readonly unroute: () => void;

  private constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    this.unroute = route();
  }

  /** Appends to `file` (created 0600) what functions run through `run` print. */
  static open(file: string): FunctionLog {
    return new FunctionLog(file);
  }

  /** Runs `work` (and everything it starts asynchronously) with its output going to this log. */
  run<T>(work: () => T): T {
    return current.run(this, work);
  }

  append(chunk: unknown): void {
    if (this.stream.writable)
      this.stream.write(typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : String(chunk));
  }

  async close(): Promise<void> {
    this.unroute();
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }
}
