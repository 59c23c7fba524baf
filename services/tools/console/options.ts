/**
 * The console's listener options, shared by `totes console` and `totes start`: flag, environment
 * variable and default in one place.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONSOLE_HOST, DEFAULT_CONSOLE_PORT } from './server.ts';

export interface ConsoleListenOptions {
  readonly port: number;
  readonly host: string;
  readonly token?: string;
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError('expected a port, 0-65535.');
  return n;
}

export function addConsoleListenOptions(command: Command, portFlag = '--port'): Command {
  return command
    .addOption(
      new Option(`${portFlag} <port>`, 'port of the web console (0: any free port)')
        .env('TOTES_CONSOLE_PORT')
        .argParser(portNumber)
        .default(DEFAULT_CONSOLE_PORT),
    )
    .addOption(
      new Option('--host <address>', 'address the console listens on; anything but loopback needs --token')
        .env('TOTES_CONSOLE_HOST')
        .default(DEFAULT_CONSOLE_HOST),
    )
    .addOption(
      new Option(
        '--token <token>',
        'access token (16+ characters) every request must carry; required with a non-loopback --host',
      ).env('TOTES_CONSOLE_TOKEN'),
    );
}

/** The URL to open: with the token as a query parameter, which the console swaps for a cookie. */
export function openUrl(url: string, token: string | undefined): string {
  return token ? `${url}?token=${encodeURIComponent(token)}` : url;
}
