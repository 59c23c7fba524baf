import { styleText } from 'node:util';

/**
 * What a command prints, by the conventions of README "Conventions":
 * - `--json`: stdout holds exactly one JSON document. main.ts calls `enterJsonMode()` when the
 *   command line has `--json`; from then on the first JSON object or array written to stdout
 *   (`writeJson`, or a plain `out.write(JSON.stringify(x))` of commands that predate it) is the
 *   document, and every other write to stdout (text, console.log, a second document) goes to
 *   stderr. A command that fails before writing its document gets `{"error": {...}}` written
 *   for it by main.ts.
 * - colour only on a terminal that supports it, never when NO_COLOR is set (node's
 *   `util.styleText`, which checks the stream's `isTTY`/`hasColors()` and NO_COLOR/FORCE_COLOR).
 */

type Write = NodeJS.WriteStream['write'];

interface JsonMode {
  readonly write: Write;
  written: boolean;
}

let jsonMode: JsonMode | undefined;

/**
 * From now on stdout belongs to one JSON document: anything else written to it goes to stderr.
 * Returns the undo (tests; main.ts leaves it on until the process exits).
 */
export function enterJsonMode(): () => void {
  if (jsonMode) return () => {};
  const stdout = process.stdout;
  const original = stdout.write;
  const mode: JsonMode = { write: original.bind(stdout) as Write, written: false };
  jsonMode = mode;
  stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!mode.written && isJsonDocument(chunk)) {
      mode.written = true;
      return (mode.write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }
    return (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as Write;
  return () => {
    stdout.write = original;
    jsonMode = undefined;
  };
}

/** A whole JSON object or array (one write of `JSON.stringify(x)`, with or without its newline). */
function isJsonDocument(chunk: unknown): boolean {
  const text = (
    typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : ''
  ).trim();
  if (!(text.startsWith('{') || text.startsWith('['))) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether `enterJsonMode` is in effect. */
export function inJsonMode(): boolean {
  return jsonMode !== undefined;
}

/** Whether the one JSON document has been written to stdout. */
export function jsonWritten(): boolean {
  return jsonMode?.written === true;
}

/**
 * Writes `value` as one JSON document and a newline. To process.stdout in JSON mode it goes
 * through the real stdout, at most once; a second document is a bug. Other streams (tests) get
 * it as is.
 */
export function writeJson(value: unknown, out: NodeJS.WritableStream = process.stdout): void {
  writeJsonText(JSON.stringify(value), out);
}

/**
 * writeJson for a document already serialised by the caller (dlq's `safeJson`, which also escapes
 * the C1 controls and bidi overrides JSON.stringify leaves as they are).
 */
export function writeJsonText(json: string, out: NodeJS.WritableStream = process.stdout): void {
  const text = `${json}\n`;
  if (jsonMode && out === process.stdout) {
    if (jsonMode.written) throw new Error('a second JSON document on stdout (one per command, see --json)');
    jsonMode.written = true;
    jsonMode.write(text);
    return;
  }
  out.write(text);
}

/**
 * One JSON document per line (JSON lines): the one stream of documents on stdout, for a command
 * that follows something until Ctrl-C (`logs --follow --json`), where one document could never be
 * finished. Written through the real stdout in JSON mode.
 */
export function writeJsonLine(value: unknown, out: NodeJS.WritableStream = process.stdout): void {
  const text = `${JSON.stringify(value)}\n`;
  if (jsonMode && out === process.stdout) {
    jsonMode.written = true;
    jsonMode.write(text);
    return;
  }
  out.write(text);
}

/**
 * `--json`: the document; otherwise the text. The one place a command decides between the two,
 * so no command can print both on stdout.
 */
export function writeResult(
  json: boolean | undefined,
  value: unknown,
  text: () => string,
  out: NodeJS.WritableStream = process.stdout,
): void {
  if (json) writeJson(value, out);
  else out.write(`${text()}\n`);
}

/** The error document of a failed `--json` command (main.ts writes it when none was written). */
export function errorDocument(
  message: string,
  exitCode: number,
): { error: { message: string; exitCode: number } } {
  return { error: { message, exitCode } };
}

export type Style = Parameters<typeof styleText>[0];

interface ColourTarget {
  readonly isTTY?: boolean;
  hasColors?(): boolean;
}

/**
 * Whether text written to `stream` may carry colour: a terminal with colours (node's `hasColors`
 * also honours FORCE_COLOR and TERM=dumb), and NO_COLOR unset or empty (no-color.org).
 */
export function colourEnabled(
  stream: ColourTarget = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (!stream.isTTY) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors() : true;
}

/** Colours `text` for `stream`, or returns it unchanged where colour is off. */
export function paint(
  style: Style,
  text: string,
  stream: ColourTarget = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return colourEnabled(stream, env) ? styleText(style, text, { validateStream: false }) : text;
}

/** The state words every command colours the same way (OK green, ALARM/failed red, ...). */
export function paintState(state: string, stream?: ColourTarget, env?: NodeJS.ProcessEnv): string {
  const style: Style = /^(ok|loaded|extracted|succeeded|completed)$/i.test(state)
    ? 'green'
    : /^(alarm|failed|error|mismatch)$/i.test(state)
      ? 'red'
      : /^(insufficient_data|skipped|unknown|warning)$/i.test(state)
        ? 'yellow'
        : 'reset';
  return style === 'reset' ? state : paint(style, state, stream, env);
}
