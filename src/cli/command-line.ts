// What a command line asks for, read before commander parses it: the program loads only the command
// asked for (program.ts), and the entry starts a scan's work ahead of the program (start-ahead.ts).

/** The subcommand named on the command line: the first word that is neither an option nor its value. */
export function requestedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--lang') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * Whether the command line (without node and the script) scans this host's processes: `scan`, not
 * its help, not of an offline `--root`, and not of `--path` alone (without `--host`).
 */
export function scansThisHost(argv: readonly string[]): boolean {
  if (requestedCommand(argv) !== 'scan') return false;
  const named = (flag: string): boolean => argv.some((a) => a === flag || a.startsWith(`${flag}=`));
  if (named('--help') || argv.includes('-h') || named('--root')) return false;
  return !named('--path') || argv.includes('--host');
}
