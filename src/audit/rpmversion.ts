// rpm's version order (rpmvercmp, rpmio/rpmvercmp.cc) and epoch:version-release comparison, so an
// advisory's fixed version is compared with an installed package exactly as dnf and yum would:
// `1.0~rc1` < `1.0` < `1.0^git1` < `1.01`, `10.0001` = `10.1`, numbers beat letters.

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
/** rpm's risalnum is ASCII only: any other byte (UTF-8 included) separates segments. */
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** rpmvercmp: 1 when a is newer, 0 when the same version, -1 when b is newer. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== '~' && b[j] !== '^') j++;
    const ca = a[i];
    const cb = b[j];
    // A tilde sorts before everything, even the end of the string (1.0~rc1 < 1.0).
    if (ca === '~' || cb === '~') {
      if (ca !== '~') return 1;
      if (cb !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // A caret sorts after the end of the string but before anything else (1.0 < 1.0^git1 < 1.01).
    if (ca === '^' || cb === '^') {
      if (ca === undefined) return -1;
      if (cb === undefined) return 1;
      if (ca !== '^') return 1;
      if (cb !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (ca === undefined || cb === undefined) break;
    // One run of digits or one run of letters from each, of the kind a's run is.
    const num = isDigit(ca);
    const inRun = num ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && inRun(a[ei]!)) ei++;
    while (ej < b.length && inRun(b[ej]!)) ej++;
    // Different kinds: a number is newer than letters.
    if (ej === j) return num ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (num) {
      // Leading zeros do not count; then the longer number is the larger (no integer overflow).
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    // ASCII only here, so code-unit order is strcmp's byte order.
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  // Every segment equal: only the separators differed, or one string has more segments.
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr {
  /** Missing and 0 are the same epoch. */
  epoch?: number;
  version: string;
  release?: string;
}

/** Parses `[epoch:]version[-release]` (the release is after the last `-`: rpm forbids `-` in either). */
export function parseEvr(s: string): Evr {
  const colon = s.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(s.slice(0, colon)) ? Number(s.slice(0, colon)) : undefined;
  const rest = epoch === undefined ? s : s.slice(colon + 1);
  const dash = rest.lastIndexOf('-');
  const evr: Evr =
    dash < 0 ? { version: rest } : { version: rest.slice(0, dash), release: rest.slice(dash + 1) };
  if (epoch !== undefined) evr.epoch = epoch;
  return evr;
}

/** `[epoch:]version-release` as rpm -q prints it with %{EVR}: no epoch when it is 0 or missing. */
export function formatEvr(evr: Evr): string {
  const e = evr.epoch ? `${evr.epoch}:` : '';
  return `${e}${evr.version}${evr.release !== undefined ? `-${evr.release}` : ''}`;
}

/**
 * rpm's EVR order: epoch numerically, then version, then release with rpmvercmp. A release missing on
 * either side is not compared (rpm does the same when a dependency names no release).
 */
export function compareEvr(a: Evr, b: Evr): number {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0 || a.release === undefined || b.release === undefined) return v;
  return rpmvercmp(a.release, b.release);
}

/** compareEvr on `[epoch:]version-release` strings. */
export function compareRpmVersions(a: string, b: string): number {
  return compareEvr(parseEvr(a), parseEvr(b));
}
