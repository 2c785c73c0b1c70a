// Makes attacker-controlled text (argv, file names, comm) inert for a terminal: control characters,
// ANSI escape sequences and bidi overrides are shown escaped instead of being interpreted.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function inertForTerminal(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** One argv as a shell-like line: arguments holding spaces or quotes are single-quoted. */
export function formatArgv(argv: string[]): string {
  return argv
    .map((a) => (a === '' || /[\s'"\\$`]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a))
    .map(inertForTerminal)
    .join(' ');
}
