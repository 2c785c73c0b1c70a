// ASCII character classes by char code, for the scanners that read text one code at a time
// (web-normalise, the linear host and XML scanners) instead of with a regular expression.

/** A-Z or a-z. */
export function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** 0-9, A-Z or a-z. */
export function isAlnumCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || isAsciiLetter(c);
}

/** What `\w` matches: 0-9, A-Z, a-z and `_`. */
export function isWordCode(c: number): boolean {
  return isAlnumCode(c) || c === 0x5f;
}
