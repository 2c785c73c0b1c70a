// What the image reader's parts hand each other: its limits and options, the result of reading one
// layer blob (kept per blob until the manifest says which image uses it, in which order), and the
// content scanner the caller injects (the YARA engine lives a layer above this module).
import type { ContentMatch, FileForm } from '../../snapshot/content-match.js';
import type { ImageFileWeb, ImageLayer, ImageSkip } from '../../snapshot/image.js';

export interface ImageLimits {
  /** Files up to this size are read into memory and scanned; larger ones are hashed as a stream. */
  maxScanBytes: number;
  /** Bytes one layer may expand to; past it the layer stops with status `limit`. */
  maxLayerBytes: number;
  /** Expanded / compressed past this, once `ratioFromBytes` were expanded, is a bomb (`limit`). */
  maxRatio: number;
  ratioFromBytes: number;
  /** Entries one layer may hold. */
  maxEntries: number;
  /** A manifest, index or config larger than this is not read. */
  maxJsonBytes: number;
  /** Small documents of an archive (configs, manifests, stray blobs) kept in memory at most. */
  maxJsonTotal: number;
  /** Start-script candidates: each up to this size… */
  maxScriptBytes: number;
  /** …and this many bytes of them over the whole archive. */
  scriptBudget: number;
  /** A zstd frame asking for a larger window is refused (the decoder would allocate it). */
  maxZstdWindow: number;
  /** Skips listed per layer; the rest are counted in one closing record. */
  maxSkipsPerLayer: number;
  /**
   * A layer blob of at least this many bytes, lying whole in a plain tarball, is read on one of the
   * scanner's threads when it has them (ContentScanner.readLayer); never one of maxJsonBytes or less.
   */
  offloadBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxScanBytes: 64 * MiB,
  maxLayerBytes: 16 * 1024 * MiB,
  maxRatio: 1000,
  ratioFromBytes: 64 * MiB,
  maxEntries: 1_000_000,
  maxJsonBytes: 8 * MiB,
  maxJsonTotal: 64 * MiB,
  maxScriptBytes: 64 * 1024,
  scriptBudget: 32 * MiB,
  maxZstdWindow: 256 * MiB,
  maxSkipsPerLayer: 100,
  offloadBytes: 16 * MiB,
};

/** What the injected scanner says about one file's bytes. */
export interface ScanOutcome {
  matches: ContentMatch[];
  /** What kind of object the file is; the caller fills it for a file with a match. */
  form?: FileForm;
  /**
   * The file's sha256, when the scanner computed it (asked for with `want.sha256`, or for a file
   * with a match); the reader hashes the bytes itself when it is missing and needed.
   */
  sha256?: string;
  /** The bytes could not be scanned (a timeout, an engine error): a `scan-error` skip. */
  error?: string;
  /**
   * A web file whose decoding the web normaliser refused (a bomb: far larger than the input, or
   * nested past its depth) or stopped short of; the file is kept and a `decoding-bomb` skip said.
   */
  web?: ImageFileWeb;
}

/** What the reader wants besides the matches. */
export interface ScanWant {
  /** The sha256 whatever the scan finds: the file is an executable, listed with its hash. */
  sha256: boolean;
}

/**
 * The content scan of one file's bytes (the collector wires the YARA engine in). A plain scanner
 * answers each file before the reader goes on. One that works beside the reader (worker threads)
 * hands out `room` for the next file's bytes (one file at a time: the room of the next file is
 * asked for once the last one went to `scan` or was given up), answers with a promise the reader
 * does not wait for (the bytes are the scanner's from then on: the reader must not touch them
 * after `scan`), and makes the reader wait in `ready` while too much is in flight; `flush` sends
 * what it holds back.
 */
export interface ContentScanner {
  scan(data: Buffer, path: string, want?: ScanWant): ScanOutcome | Promise<ScanOutcome>;
  /** Space for a file of `size` bytes to be read into and then passed to `scan`. */
  room?(size: number): Buffer;
  /**
   * The scanner answers before `scan` returns and keeps no reference to the bytes: a file lying
   * whole in one chunk of the layer's tar is handed over where it lies, not copied first.
   */
  inline?: boolean;
  /** Resolves once the scanner can take more files. */
  ready?(): Promise<void> | undefined;
  /** Sends every file held back, so each promise `scan` gave settles. */
  flush?(): void;
  /**
   * Reads a whole layer blob lying at `job.offset` in `job.file` on a thread of the scanner's own
   * (parsed, hashed and scanned there, as layer.ts does), so layers are read side by side and the
   * reader's thread only leaps over their bytes. Rejects when no thread can take it: the reader
   * then reads the blob itself.
   */
  readLayer?(job: LayerJob): Promise<LayerScan>;
}

/** One layer blob for a scanner's thread to read from a file (ContentScanner.readLayer). */
export interface LayerJob {
  file: string;
  /** Where the blob's bytes begin in the file, and how many there are. */
  offset: number;
  size: number;
  /** The blob's path in the archive. */
  key: string;
  limits: ImageLimits;
  /** Bytes of start-script texts the layer may keep (the reader trims to the archive's budget). */
  scriptBudget: number;
}

/** One layer blob's start or end, for a progress line. */
export interface LayerProgress {
  /** The blob as the archive or layout names it (`blobs/sha256/ab…`). */
  key: string;
  phase: 'start' | 'done';
  /** Compressed bytes, when known before reading (layouts) or once read. */
  bytes?: number;
  status?: ImageLayer['status'];
}

export interface ReadImageOptions {
  scanner?: ContentScanner;
  limits?: Partial<ImageLimits>;
  onLayer?: (p: LayerProgress) => void;
}

export type NodeKind = 'dir' | 'file' | 'symlink' | 'other';

/** A file of interest in one layer, before the final filesystem is known. */
export interface LayerFile {
  path: string;
  size: number;
  sha256?: string;
  executable?: boolean;
  /** ELF by its magic: never a start script to read as text. */
  elf?: boolean;
  form?: FileForm;
  matches: ContentMatch[];
  web?: ImageFileWeb;
}

export type LayerSkip = Omit<ImageSkip, 'layer'>;

/** Everything kept of one layer blob: enough to place it in any image that lists it. */
export interface LayerScan {
  key: string;
  /** `sha256:<hex>` of the blob's bytes as stored (compressed). */
  digest: string;
  size: number;
  codec: string;
  entries: number;
  status: ImageLayer['status'];
  note?: string;
  /** Every path the layer puts, by kind: a later layer's entry at a path replaces the earlier one. */
  nodes: Map<string, NodeKind>;
  symlinks: Map<string, string>;
  /** Paths deleted from the layers below (`.wh.<name>`). */
  whiteouts: Set<string>;
  /** Directories whose lower content is hidden (`.wh..wh..opq`). */
  opaque: Set<string>;
  /** Files of interest by path (a later entry for the same path in the layer replaces it). */
  files: Map<string, LayerFile>;
  /** Small text files that could be started by the entrypoint or cmd, by path. */
  scripts: Map<string, string>;
  skips: LayerSkip[];
  filesScanned: number;
}

export function emptyLayerScan(key: string, codec: string): LayerScan {
  return {
    key,
    digest: '',
    size: 0,
    codec,
    entries: 0,
    status: 'ok',
    nodes: new Map(),
    symlinks: new Map(),
    whiteouts: new Set(),
    opaque: new Set(),
    files: new Map(),
    scripts: new Map(),
    skips: [],
    filesScanned: 0,
  };
}

/** The byte budget start-script candidates share over one archive. */
export interface ScriptBudget {
  left: number;
  /** Set once the budget ran out, so the skip is said once. */
  exhausted: boolean;
}

export function limitsOf(opts: ReadImageOptions): ImageLimits {
  return { ...DEFAULT_IMAGE_LIMITS, ...opts.limits };
}
