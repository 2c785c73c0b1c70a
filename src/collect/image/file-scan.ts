// The scan of one file an image layer holds, wherever it runs (a scan worker, the main thread): the
// rules over its bytes and, for a web file, over what the web normaliser decodes from them too. It
// is the host content scan's own scanBytes (engine/scan-job.ts), and a web file is told the same way
// as under --path (engine/web-normalise webHint, by its name), so an obfuscated web miner baked into
// an image is found as it would be on a web root, with the techniques undone and the decoded excerpt.
import { createHash } from 'node:crypto';
import { scanBytes } from '../../engine/scan-job.js';
import { toContentMatches } from '../../engine/scan-tally.js';
import { fileForm } from '../../engine/file-form.js';
import { webHint, type WebHint } from '../../engine/web-normalise/index.js';
import type { YaraScanner } from '../../engine/yara.js';
import type { ScanOutcome } from '../../target/image/index.js';

/**
 * What kind of web file a layer file is, as flag bits beside the worker's other per-file flags
 * (scan-worker.ts WANT_SHA256 is bit 0): a file's name does not travel to the worker, its hint does.
 */
const WEB_FLAGS: Record<Exclude<WebHint, 'unknown'>, number> = { js: 2, html: 4, php: 8 };

/**
 * A name scanBytes reads the same hint from, for each flag: scanBytes tells web files by their
 * name, and in the worker only the flag is known.
 */
const NAME_OF_FLAG = new Map<number, string>([
  [WEB_FLAGS.js, 'layer-file.js'],
  [WEB_FLAGS.html, 'layer-file.html'],
  [WEB_FLAGS.php, 'layer-file.php'],
]);
const WEB_MASK = WEB_FLAGS.js | WEB_FLAGS.html | WEB_FLAGS.php;

/** The normaliser's facts as the snapshot records them: only what there is. */
function webFactsOf(web: NonNullable<ReturnType<typeof scanBytes>['web']>): NonNullable<ScanOutcome['web']> {
  return {
    ...(web.bombs?.length ? { bombs: [...web.bombs] } : {}),
    ...(web.stopped ? { stopped: web.stopped } : {}),
  };
}

/** The web flag of a layer file by its path (0 for a file that is not web content). */
export function webFlag(path: string): number {
  const hint = webHint(path.slice(path.lastIndexOf('/') + 1));
  return hint && hint !== 'unknown' ? WEB_FLAGS[hint] : 0;
}

/**
 * The outcome for a file's bytes, without its sha256 (the caller hashes what it keeps). The engine
 * failing on the bytes is an `error` outcome; the normaliser failing costs only the decoded layers.
 */
export function scanLayerFile(
  scanner: Pick<YaraScanner, 'scanBuffer'>,
  data: Buffer,
  flags: number,
): ScanOutcome {
  try {
    const { matches, web } = scanBytes(scanner, data, NAME_OF_FLAG.get(flags & WEB_MASK) ?? '');
    // What the normaliser refused (a bomb) or stopped short of travels with the file: the reader
    // keeps such a file and records the bomb, as the host scan does.
    const facts = web && (web.bombs?.length || web.stopped) ? { web: webFactsOf(web) } : {};
    return matches.length > 0
      ? { matches: toContentMatches(matches), form: fileForm(data), ...facts }
      : { matches: [], ...facts };
  } catch (err) {
    return { matches: [], error: err instanceof Error ? err.message : String(err) };
  }
}

/** Flag: hash the file whatever the scan finds (an executable, listed with its sha256). */
export const WANT_SHA256 = 1;

/**
 * The outcome with the file's sha256 when the reader keeps the file: asked for (WANT_SHA256), or it
 * matched, or the web normaliser has something to say about it.
 */
export function scanWithDigest(
  scanner: Pick<YaraScanner, 'scanBuffer'>,
  data: Buffer,
  flags: number,
): ScanOutcome {
  const outcome = scanLayerFile(scanner, data, flags);
  const want = (flags & WANT_SHA256) !== 0;
  if (outcome.matches.length === 0 && !outcome.web && !want) return outcome;
  return { ...outcome, sha256: createHash('sha256').update(data).digest('hex') };
}
