/**
 * Text from a queue (object keys, bodies, error messages) is untrusted: a key can hold terminal
 * escape sequences that clear the screen and print a fake "all OK". Everything `dlq` prints goes
 * through here: C0 and C1 control characters, DEL, and the Unicode bidirectional overrides (which
 * reorder what is shown) become visible escapes (`\x1b`, `\u202e`). Printable text is unchanged.
 */
// Built from code points: a regex literal of control characters is what linters (rightly) flag.
const UNSAFE = new RegExp(
  `[${[
    [0x00, 0x1f],
    [0x7f, 0x9f],
    [0x61c, 0x61c],
    [0x200e, 0x200f],
    [0x202a, 0x202e],
    [0x2066, 0x2069],
  ]
    .map(([from, to]) => `\\u{${from!.toString(16)}}-\\u{${to!.toString(16)}}`)
    .join('')}]`,
  'gu',
);

const escapeOne = (char: string): string => {
  const code = char.codePointAt(0)!;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** For terminal text: every unsafe character shown as an escape. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/**
 * For `--json` output: JSON.stringify escapes C0 controls already, but not C1 controls (U+009B is
 * a CSI to some terminals) or bidi overrides; they become `\uXXXX`, still valid JSON.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE,
    (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}
