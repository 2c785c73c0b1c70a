// Reads a Windows command line (a task action, a Run value, a WMI consumer) for what PowerShell will
// run: the launch flags (-nop, -w hidden, -ep bypass …), the payload of -EncodedCommand and of
// [Convert]::FromBase64String(…), decoded layer by layer up to a depth, and the download cradles and
// other techniques in every layer, each with the span it was matched at. The decoded layers are the
// text a detector shows in the finding and feeds to the same command-line and content rules as
// any other script. Pure: no I/O; bounded in depth, layer count and size.
import { gunzipSync, inflateRawSync } from 'node:zlib';
import type { Localized } from '../../model/finding.js';
import { t } from '../../model/localized.js';

/** `[start, end)` character offsets in the text of one layer. */
export interface Span {
  start: number;
  end: number;
}

/** One argument as Windows' CommandLineToArgvW splits it: value (quotes removed) and where it stood. */
export interface ArgToken extends Span {
  value: string;
}

/**
 * Splits `text[from, to)` into arguments by the rules of CommandLineToArgvW (the rules powershell.exe
 * and most Windows programs receive their argv by): whitespace separates, `"` groups, `""` inside a
 * group is a quote, 2n backslashes before a quote are n backslashes, 2n+1 escape the quote.
 */
export function splitWindowsArgs(text: string, from = 0, to = text.length, maxTokens = 4096): ArgToken[] {
  const out: ArgToken[] = [];
  let i = from;
  while (i < to && out.length < maxTokens) {
    while (i < to && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= to) break;
    const start = i;
    let value = '';
    let quoted = false;
    while (i < to && (quoted || (text[i] !== ' ' && text[i] !== '\t'))) {
      const c = text[i]!;
      if (c === '\\') {
        let n = 0;
        while (i < to && text[i] === '\\') {
          n++;
          i++;
        }
        if (i < to && text[i] === '"') {
          value += '\\'.repeat(n >> 1);
          if (n % 2 === 1) {
            value += '"';
            i++;
          }
        } else value += '\\'.repeat(n);
        continue;
      }
      if (c === '"') {
        if (quoted && i + 1 < to && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else {
          quoted = !quoted;
          i++;
        }
        continue;
      }
      value += c;
      i++;
    }
    out.push({ value, start, end: i });
  }
  return out;
}

// ----- powershell.exe / pwsh parameters -----

type Takes = 'none' | 'value' | 'rest';
interface ParamSpec {
  name: string;
  full: string;
  /** The shortest prefix PowerShell accepts (its own table: `-e` is EncodedCommand, `-ex` ExecutionPolicy). */
  min: string;
  aliases?: string[];
  takes: Takes;
}

// Order matters where prefixes overlap: the first spec that accepts a key wins, as in PowerShell.
const PARAMS: ParamSpec[] = [
  { name: 'EncodedArguments', full: 'encodedarguments', min: 'encodeda', takes: 'value' },
  { name: 'EncodedCommand', full: 'encodedcommand', min: 'e', aliases: ['ec'], takes: 'value' },
  { name: 'ExecutionPolicy', full: 'executionpolicy', min: 'ex', aliases: ['ep'], takes: 'value' },
  { name: 'ConfigurationName', full: 'configurationname', min: 'config', takes: 'value' },
  { name: 'Command', full: 'command', min: 'c', takes: 'rest' },
  { name: 'File', full: 'file', min: 'f', takes: 'rest' },
  { name: 'WindowStyle', full: 'windowstyle', min: 'w', takes: 'value' },
  { name: 'NoProfile', full: 'noprofile', min: 'nop', takes: 'none' },
  { name: 'NonInteractive', full: 'noninteractive', min: 'noni', takes: 'none' },
  { name: 'NoLogo', full: 'nologo', min: 'nol', takes: 'none' },
  { name: 'NoExit', full: 'noexit', min: 'noe', takes: 'none' },
  { name: 'Version', full: 'version', min: 'v', takes: 'value' },
  { name: 'InputFormat', full: 'inputformat', min: 'in', takes: 'value' },
  { name: 'OutputFormat', full: 'outputformat', min: 'o', takes: 'value' },
  { name: 'PSConsoleFile', full: 'psconsolefile', min: 'psc', takes: 'value' },
  { name: 'Sta', full: 'sta', min: 'sta', takes: 'none' },
  { name: 'Mta', full: 'mta', min: 'mta', takes: 'none' },
];

/** powershell.exe takes `-`, `/` and the en dash, em dash and horizontal bar as parameter marks. */
const DASHES = '-/\u2013\u2014\u2015';

/** The parameter a token names (`-enc`, `/EncodedCommand`, `–nop`), or undefined. */
export function powershellParam(token: string): ParamSpec | undefined {
  if (token.length < 2 || !DASHES.includes(token[0]!)) return undefined;
  const key = token.slice(1).toLowerCase();
  return PARAMS.find(
    (p) => p.aliases?.includes(key) || (p.full.startsWith(key) && key.length >= p.min.length),
  );
}

export interface PsFlag extends Span {
  /** The canonical parameter name, e.g. `WindowStyle`. */
  name: string;
  value?: string;
  /** As written, e.g. `-w hidden`. */
  text: string;
}

/** One start of powershell.exe or pwsh found in a layer, with its parameters. */
export interface PsInvocation {
  layer: number;
  /** The program word, e.g. `powershell.exe`, and where it stood. */
  program: string;
  span: Span;
  flags: PsFlag[];
  /** The launch facts a detector weighs, read from `flags`. */
  hiddenWindow: boolean;
  noProfile: boolean;
  nonInteractive: boolean;
  /** The -ExecutionPolicy value when it is Bypass or Unrestricted. */
  policyBypass?: string;
  /** The -Command text (or the implicit command of powershell.exe); `-` reads stdin. */
  command?: string;
  file?: string;
  /** The layer the -EncodedCommand payload decoded into. */
  encodedLayer?: number;
}

export interface PsLayer {
  index: number;
  /** `input`: the text given; the others are payloads decoded from the parent layer. */
  via: 'input' | 'encoded-command' | 'from-base64';
  parent?: number;
  /** Where, in the parent's text, the encoded form stood. */
  span?: Span;
  depth: number;
  encoding?: 'utf-16le' | 'utf-16be' | 'utf-8';
  compression?: 'gzip' | 'deflate';
  text: string;
  truncated?: boolean;
}

export interface PsTechnique {
  /** Our name for it, e.g. `cradle-download-iex`. */
  id: string;
  /** MITRE ATT&CK technique ids. */
  attack: string[];
  name: Localized;
  layer: number;
  span: Span;
  /** The matched text (shortened when long). */
  text: string;
  url?: string;
  /** The file a download was saved to. */
  path?: string;
}

export interface PsAnalysis {
  layers: PsLayer[];
  invocations: PsInvocation[];
  techniques: PsTechnique[];
  /** http(s)/ftp and stratum URLs in any layer. */
  urls: { layer: number; url: string; span: Span }[];
  /** Payloads that decoded to binary data (a PE image, an unknown blob) rather than text. */
  payloads: { layer: number; span: Span; bytes: number; magic: 'pe' | 'gzip' | 'unknown' }[];
  /** What could not be followed: a payload that is not base64, the depth limit, … */
  notes: string[];
}

export interface PsOptions {
  /** Layers decoded below the input; each -enc or FromBase64String adds one. */
  maxDepth: number;
  maxLayers: number;
  /** Longest text kept per layer, in characters. */
  maxLayerChars: number;
}

export const DEFAULT_PS_OPTIONS: PsOptions = { maxDepth: 4, maxLayers: 32, maxLayerChars: 1024 * 1024 };

const PROGRAM_RE = /(?<![\w.-])(powershell|pwsh)(?:\.exe)?(?![\w.-])/gi;
/** How far after a program name its arguments are read, and how many starts per layer. */
const MAX_ARGS_CHARS = 64 * 1024;
const MAX_INVOCATIONS = 64;
/** Techniques and downloads kept per layer: a script repeating one line cannot flood the result. */
const MAX_PER_LAYER = 200;

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Strict base64 (what [Convert]::FromBase64String accepts, whitespace ignored), or undefined. */
export function base64Bytes(text: string): Buffer | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length < 4 || clean.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

function printableRatio(text: string): number {
  if (text.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      c === 9 ||
      c === 10 ||
      c === 13 ||
      (c >= 0x20 && c !== 0x7f && c !== 0xfffd && !(c >= 0x80 && c < 0xa0))
    )
      ok++;
  }
  return ok / text.length;
}

type TextEnc = NonNullable<PsLayer['encoding']>;

/** Bytes as text in `encoding`, or sniffed (UTF-16LE when every other byte is zero, else UTF-8). */
function bytesToText(bytes: Uint8Array, encoding?: TextEnc): { text: string; encoding: TextEnc } | undefined {
  let enc = encoding;
  if (!enc) {
    let zeros = 0;
    for (let i = 1; i < bytes.length; i += 2) if (bytes[i] === 0) zeros++;
    enc = bytes.length >= 2 && zeros >= (bytes.length >> 1) * 0.4 ? 'utf-16le' : 'utf-8';
  }
  const text = new TextDecoder(enc).decode(bytes);
  return printableRatio(text) >= 0.85 ? { text, encoding: enc } : undefined;
}

function magicOf(bytes: Uint8Array): 'pe' | 'gzip' | 'unknown' {
  if (bytes[0] === 0x4d && bytes[1] === 0x5a) return 'pe';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  return 'unknown';
}

// ----- the walk over layers -----

const MAX_NOTES = 50;

/** Records what could not be followed; bounded, so a text repeating one bad payload stays small. */
function note(out: PsAnalysis, message: string): void {
  if (out.notes.length < MAX_NOTES) out.notes.push(message);
  else if (out.notes.length === MAX_NOTES) out.notes.push('further notes left out');
}

interface Walk {
  opts: PsOptions;
  out: PsAnalysis;
}

/**
 * Adds a decoded payload as a new layer below `parent`, or notes why not. `compressed` means the
 * script wraps the bytes in a Deflate stream; gzip is recognised by its magic bytes.
 */
function addLayer(
  w: Walk,
  parent: PsLayer,
  via: PsLayer['via'],
  span: Span,
  bytes: Uint8Array,
  encoding?: TextEnc,
  compressed = false,
): number | undefined {
  const { out, opts } = w;
  if (parent.depth + 1 > opts.maxDepth) {
    note(
      out,
      `layer ${parent.index}: a payload at ${span.start} is nested deeper than ${opts.maxDepth} layers; not decoded`,
    );
    return undefined;
  }
  if (out.layers.length >= opts.maxLayers) {
    note(out, `more than ${opts.maxLayers} encoded payloads; the rest are not decoded`);
    return undefined;
  }
  let data = bytes;
  let compression: PsLayer['compression'];
  try {
    const limit = { maxOutputLength: opts.maxLayerChars * 2 };
    if (magicOf(bytes) === 'gzip') [data, compression] = [gunzipSync(bytes, limit), 'gzip'];
    else if (compressed) [data, compression] = [inflateRawSync(bytes, limit), 'deflate'];
  } catch {
    note(
      out,
      `layer ${parent.index}: a compressed payload at ${span.start} does not inflate (or inflates past the limit)`,
    );
    return undefined;
  }
  const decoded = bytesToText(data, compression ? undefined : encoding);
  if (!decoded) {
    out.payloads.push({ layer: parent.index, span, bytes: data.length, magic: magicOf(data) });
    return undefined;
  }
  const truncated = decoded.text.length > opts.maxLayerChars;
  const layer: PsLayer = {
    index: out.layers.length,
    via,
    parent: parent.index,
    span,
    depth: parent.depth + 1,
    encoding: decoded.encoding,
    ...(compression ? { compression } : {}),
    text: truncated ? decoded.text.slice(0, opts.maxLayerChars) : decoded.text,
    ...(truncated ? { truncated } : {}),
  };
  out.layers.push(layer);
  return layer.index;
}

function technique(
  id: string,
  attack: string[],
  name: Localized,
  layer: PsLayer,
  span: Span,
  extra: { url?: string; path?: string } = {},
): PsTechnique {
  return {
    id,
    attack,
    name,
    layer: layer.index,
    span,
    text: clip(layer.text.slice(span.start, span.end)),
    ...extra,
  };
}

/** The words after a powershell/pwsh program name, up to the end of its line. */
function argsAfter(text: string, programEnd: number): ArgToken[] {
  // `"C:\…\powershell.exe" -nop`: the quote right after the name closes the program's path.
  const from = text[programEnd] === '"' ? programEnd + 1 : programEnd;
  // Bounded, so a text repeating `powershell` thousands of times stays linear.
  const window = text.slice(from, from + MAX_ARGS_CHARS);
  const lineEnd = window.search(/[\r\n]/);
  return splitWindowsArgs(text, from, from + (lineEnd < 0 ? window.length : lineEnd));
}

function encodedTechnique(layer: PsLayer, span: Span): PsTechnique {
  const name = t('PowerShell -EncodedCommand', 'PowerShell -EncodedCommand 编码命令');
  return technique('encoded-command', ['T1059.001', 'T1027.010'], name, layer, span);
}

/** Reads one powershell/pwsh start: its parameters from the words after the program name. */
function readInvocation(w: Walk, layer: PsLayer, match: RegExpExecArray): PsInvocation {
  const text = layer.text;
  const programEnd = match.index + match[0].length;
  const tokens = argsAfter(text, programEnd);
  const pwsh = match[1]!.toLowerCase() === 'pwsh';
  const inv: PsInvocation = {
    layer: layer.index,
    program: match[0],
    span: { start: match.index, end: programEnd },
    flags: [],
    hiddenWindow: false,
    noProfile: false,
    nonInteractive: false,
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const spec = powershellParam(tok.value);
    if (!spec && tok.value !== '-' && DASHES.includes(tok.value[0] ?? '')) continue; // a switch we do not know
    if (!spec || spec.takes === 'rest') {
      // Words that are not parameters start the command (powershell.exe) or the script path (pwsh).
      const rest = tokens.slice(spec ? i + 1 : i);
      const last = rest[rest.length - 1];
      if (!last) break;
      if (spec ? spec.name === 'File' : pwsh) inv.file = rest[0]!.value;
      else inv.command = rest.map((r) => r.value).join(' ');
      if (spec)
        inv.flags.push({
          name: spec.name,
          text: text.slice(tok.start, last.end),
          start: tok.start,
          end: last.end,
        });
      break;
    }
    const valueTok = spec.takes === 'value' ? tokens[i + 1] : undefined;
    const end = valueTok?.end ?? tok.end;
    const value = valueTok?.value.replace(/^'(.*)'$/s, '$1');
    inv.flags.push({
      name: spec.name,
      ...(value === undefined ? {} : { value }),
      text: text.slice(tok.start, end),
      start: tok.start,
      end,
    });
    if (valueTok) i++;
    if (spec.name === 'EncodedCommand' && value !== undefined) {
      const span = { start: tok.start, end };
      const bytes = base64Bytes(value);
      if (!bytes)
        note(w.out, `layer ${layer.index}: the -EncodedCommand value at ${valueTok!.start} is not base64`);
      else inv.encodedLayer = addLayer(w, layer, 'encoded-command', span, bytes, 'utf-16le');
      w.out.techniques.push(encodedTechnique(layer, span));
    }
  }
  for (const f of inv.flags) {
    const v = f.value?.toLowerCase();
    if (f.name === 'WindowStyle' && (v === 'hidden' || v === '1')) inv.hiddenWindow = true;
    if (f.name === 'NoProfile') inv.noProfile = true;
    if (f.name === 'NonInteractive') inv.nonInteractive = true;
    if (f.name === 'ExecutionPolicy' && (v === 'bypass' || v === 'unrestricted')) inv.policyBypass = f.value;
  }
  return inv;
}

// `-enc <b64>` written inside a script (Start-Process powershell -ArgumentList '-nop','-enc','…'):
// not reached by the argv reading above, so found by shape once a layer names PowerShell.
const LOOSE_ENC_RE =
  /(?<=^|[\s'"(,])[-/\u2013\u2014\u2015]([a-z]{1,14})['",\s]+([A-Za-z0-9+/]{20,}={0,2})(?![A-Za-z0-9+/=])/gi;

function findEncodedCommands(w: Walk, layer: PsLayer): void {
  const text = layer.text;
  PROGRAM_RE.lastIndex = 0;
  const invocations: PsInvocation[] = [];
  for (let m = PROGRAM_RE.exec(text); m; m = PROGRAM_RE.exec(text)) {
    if (invocations.length >= MAX_INVOCATIONS) {
      note(
        w.out,
        `layer ${layer.index}: more than ${MAX_INVOCATIONS} PowerShell starts; the rest are not read`,
      );
      break;
    }
    invocations.push(readInvocation(w, layer, m));
  }
  w.out.invocations.push(...invocations);
  if (invocations.length === 0 && layer.depth === 0) return;
  const seen = w.out.techniques.filter((x) => x.layer === layer.index && x.id === 'encoded-command');
  LOOSE_ENC_RE.lastIndex = 0;
  let found = seen.length;
  for (let m = LOOSE_ENC_RE.exec(text); m && found < MAX_PER_LAYER; m = LOOSE_ENC_RE.exec(text)) {
    if (powershellParam(`-${m[1]!}`)?.name !== 'EncodedCommand') continue;
    const span = { start: m.index, end: m.index + m[0].length };
    if (seen.some((s) => s.span.start < span.end && span.start < s.span.end)) continue;
    const bytes = base64Bytes(m[2]!);
    if (!bytes) continue;
    addLayer(w, layer, 'encoded-command', span, bytes, 'utf-16le');
    w.out.techniques.push(encodedTechnique(layer, span));
    found++;
  }
}

const FROM_B64_RE =
  /\[\s*(?:System\s*\.\s*)?Convert\s*\]\s*::\s*FromBase64String\s*\(\s*(?:(['"])([A-Za-z0-9+/=\s]*)\1|\$(\w{1,64}))\s*\)?/gi;
const GETSTRING_RE = /Encoding\s*\]\s*::\s*(\w+)\s*\)?\s*\.\s*GetString\s*\(\s*$/i;
const ENCODINGS: Record<string, TextEnc> = {
  unicode: 'utf-16le',
  bigendianunicode: 'utf-16be',
  utf8: 'utf-8',
  ascii: 'utf-8',
  default: 'utf-8',
};

/** `[Convert]::FromBase64String('…')` (or of a variable assigned a literal) and its text encoding. */
function findFromBase64(w: Walk, layer: PsLayer): void {
  const text = layer.text;
  const compressed = /DeflateStream/i.test(text);
  let found = 0;
  FROM_B64_RE.lastIndex = 0;
  for (let m = FROM_B64_RE.exec(text); m && found++ < MAX_PER_LAYER; m = FROM_B64_RE.exec(text)) {
    let literal = m[2];
    if (m[3] !== undefined) {
      const assign = new RegExp(`\\$${m[3]}\\s*=\\s*(['"])([A-Za-z0-9+/=\\s]{8,})\\1`, 'gi');
      const found = [...text.slice(0, m.index).matchAll(assign)].pop();
      literal = found?.[2];
    }
    const span = { start: m.index, end: m.index + m[0].length };
    w.out.techniques.push(
      technique(
        'from-base64',
        ['T1140', 'T1027'],
        t('base64 payload decoded in the script', '脚本中解码 base64 载荷'),
        layer,
        span,
      ),
    );
    const bytes = literal === undefined ? undefined : base64Bytes(literal);
    if (!bytes) {
      if (literal !== undefined)
        note(w.out, `layer ${layer.index}: the FromBase64String argument at ${m.index} is not base64`);
      continue;
    }
    const before = text.slice(Math.max(0, m.index - 120), m.index);
    const encoding = ENCODINGS[GETSTRING_RE.exec(before)?.[1]?.toLowerCase() ?? ''];
    addLayer(w, layer, 'from-base64', span, bytes, encoding, compressed);
  }
}

/**
 * Analyses a command line or script: PowerShell starts and their flags, encoded payloads decoded
 * into layers (breadth first, bounded), and in every layer the cradles and techniques of
 * `findTechniques`. Never throws on any input.
 */
export function analyzePowerShell(input: string, options: Partial<PsOptions> = {}): PsAnalysis {
  const opts = { ...DEFAULT_PS_OPTIONS, ...options };
  const out: PsAnalysis = { layers: [], invocations: [], techniques: [], urls: [], payloads: [], notes: [] };
  const truncated = input.length > opts.maxLayerChars;
  out.layers.push({
    index: 0,
    via: 'input',
    depth: 0,
    text: truncated ? input.slice(0, opts.maxLayerChars) : input,
    ...(truncated ? { truncated } : {}),
  });
  const w: Walk = { opts, out };
  for (let i = 0; i < out.layers.length; i++) {
    const layer = out.layers[i]!;
    findEncodedCommands(w, layer);
    findFromBase64(w, layer);
    out.techniques.push(...findTechniques(layer));
    out.urls.push(...findUrls(layer));
  }
  return out;
}

/** The decoded layers' texts, outermost first: what a finding shows as "the decoded script". */
export function decodedScripts(analysis: PsAnalysis): PsLayer[] {
  return analysis.layers.filter((l) => l.via !== 'input');
}

const URL_RE = /\b(?:https?|ftp|stratum\d?\+(?:tcp|ssl|tls)|stratum)(?::\/\/)[^\s'"`()<>;|,{}]+/gi;

function findUrls(layer: PsLayer): PsAnalysis['urls'] {
  return [...layer.text.matchAll(URL_RE)].map((m) => ({
    layer: layer.index,
    url: m[0],
    span: { start: m.index, end: m.index + m[0].length },
  }));
}

// ----- techniques inside one layer -----

/** Statements of a script: split at `;` and line ends outside quotes (PowerShell quoting, roughly). */
export function statements(text: string): Span[] {
  const out: Span[] = [];
  let start = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '`' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === ';' || c === '\n' || c === '\r') {
      if (/\S/.test(text.slice(start, i))) out.push(trimSpan(text, start, i));
      start = i + 1;
    }
  }
  if (/\S/.test(text.slice(start))) out.push(trimSpan(text, start, text.length));
  return out;
}

function trimSpan(text: string, start: number, end: number): Span {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s]!)) s++;
  while (e > s && /\s/.test(text[e - 1]!)) e--;
  return { start: s, end: e };
}

const EXEC_RE = /(?<![\w-])(?:iex|invoke-expression)(?![\w-])/i;
const WEBCLIENT_RE =
  /\.\s*(?:DownloadString|DownloadData|DownloadStringTaskAsync|DownloadDataTaskAsync|OpenRead)\s*\(/i;
const WEBCMDLET_RE = /(?<![\w-])(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|curl|wget)(?![\w-])/i;
const COMHTTP_RE = /(?:Msxml2\.XMLHTTP|Microsoft\.XMLHTTP|WinHttp\.WinHttpRequest|Net\.Http\.HttpClient)/i;
const DOWNLOADFILE_RE = /\.\s*DownloadFile(?:Async|TaskAsync)?\s*\(\s*[^,]*,\s*(['"]?)([^'"),]+)\1/i;
const OUTFILE_RE = /-OutF\w*\s+(['"]?)([^'"\s;|)]+)\1/i;
const BITS_RE = /(?<![\w-])Start-BitsTransfer(?![\w-])/i;
const BITS_DEST_RE =
  /-Destination\s+(['"]?)([^'"\s;|)]+)\1|Start-BitsTransfer\s+(?:-Source\s+)?\S+\s+(['"]?)([^-'"\s;|)][^'"\s;|)]*)\3/i;
const RUN_RE =
  /(?:(?<![\w-])(?:Start-Process|saps|start|Invoke-Item|ii)\s+(?:-FilePath\s+)?|&\s*|cmd(?:\.exe)?\s+\/c\s+)(['"]?)([^'"\s;|)]+)\1/gi;
const REFLECT_RE = /\[\s*(?:System\s*\.\s*)?Reflection\s*\.\s*Assembly\s*\]\s*::\s*Load(?:File|From)?\s*\(/i;
const DEFENDER_RE =
  /(?:Add|Set)-MpPreference\b[^;\n]*?-(?:Exclusion\w*|DisableRealtimeMonitoring|DisableBehaviorMonitoring|DisableIOAVProtection)/i;
const URL_ONE = /\b(?:https?|ftp):\/\/[^\s'"`()<>;|,]+/i;

const NAMES = {
  webclient: t(
    'IEX (New-Object Net.WebClient).DownloadString download cradle',
    'IEX (New-Object Net.WebClient).DownloadString 下载执行',
  ),
  iwr: t(
    'Invoke-WebRequest | Invoke-Expression download cradle',
    'Invoke-WebRequest | Invoke-Expression 下载执行',
  ),
  com: t(
    'COM/HttpClient download run with Invoke-Expression',
    'COM/HttpClient 下载后以 Invoke-Expression 执行',
  ),
  downloadRun: t('file downloaded and then started', '下载文件后启动'),
  download: t('file download', '下载文件'),
  bits: t('download through BITS (Start-BitsTransfer)', '通过 BITS 下载（Start-BitsTransfer）'),
  iex: t('Invoke-Expression of a constructed string', '以 Invoke-Expression 执行拼接出的字符串'),
  reflect: t('.NET assembly loaded from memory', '从内存加载 .NET 程序集'),
  defender: t(
    'Windows Defender exclusion or protection turned off',
    '添加 Windows Defender 排除项或关闭防护',
  ),
};

interface Download {
  span: Span;
  path: string;
  url?: string;
  bits: boolean;
}

function sameTarget(a: string, b: string): boolean {
  const norm = (p: string) => p.toLowerCase().replace(/^\.[\\/]/, '');
  const base = (p: string) => norm(p).split(/[\\/]/).pop() ?? '';
  return norm(a) === norm(b) || (base(a) !== '' && base(a) === base(b) && /\.\w{2,4}$/.test(base(a)));
}

/** What each statement starts (Start-Process X, & X, cmd /c X): read once per layer. */
function runTargets(text: string, stmts: Span[]): { stmt: number; target: string; end: number }[] {
  const out: { stmt: number; target: string; end: number }[] = [];
  stmts.forEach((span, stmt) => {
    for (const m of text.slice(span.start, span.end).matchAll(RUN_RE))
      if (out.length < MAX_PER_LAYER * 4) out.push({ stmt, target: m[2]!, end: span.end });
  });
  return out;
}

/** Download cradles and related techniques in one layer, each with the span of its statement(s). */
export function findTechniques(layer: PsLayer): PsTechnique[] {
  const text = layer.text;
  const out: PsTechnique[] = [];
  const downloads: (Download & { stmt: number })[] = [];
  const stmts = statements(text);
  for (let i = 0; i < stmts.length && out.length < MAX_PER_LAYER; i++) {
    const span = stmts[i]!;
    const s = text.slice(span.start, span.end);
    const url = URL_ONE.exec(s)?.[0];
    const extra = url ? { url } : {};
    const exec = EXEC_RE.test(s);
    const kind = WEBCLIENT_RE.test(s)
      ? 'webclient'
      : WEBCMDLET_RE.test(s)
        ? 'iwr'
        : COMHTTP_RE.test(s)
          ? 'com'
          : undefined;
    if (exec && kind)
      out.push(technique('cradle-download-iex', ['T1059.001', 'T1105'], NAMES[kind], layer, span, extra));
    else if (exec) out.push(technique('invoke-expression', ['T1059.001'], NAMES.iex, layer, span));
    const bits = BITS_RE.test(s);
    if (bits) out.push(technique('cradle-bits-transfer', ['T1197', 'T1105'], NAMES.bits, layer, span, extra));
    const saved =
      DOWNLOADFILE_RE.exec(s)?.[2] ??
      (kind === 'iwr' ? OUTFILE_RE.exec(s)?.[2] : undefined) ??
      (bits ? bitsDest(s) : undefined);
    if (saved && downloads.length < MAX_PER_LAYER)
      downloads.push({ span, path: saved, bits, stmt: i, ...extra });
    if (REFLECT_RE.test(s)) out.push(technique('reflective-load', ['T1620'], NAMES.reflect, layer, span));
    if (DEFENDER_RE.test(s))
      out.push(technique('defender-tamper', ['T1562.001'], NAMES.defender, layer, span));
  }
  const runs = downloads.length > 0 ? runTargets(text, stmts) : [];
  for (const d of downloads) {
    // The saved file started in the same statement (inside one quoted -Command) or a later one.
    const run = runs.find((r) => r.stmt >= d.stmt && sameTarget(r.target, d.path));
    const extra = { path: d.path, ...(d.url ? { url: d.url } : {}) };
    if (run) {
      const span = { start: d.span.start, end: run.end };
      out.push(
        technique('cradle-download-run', ['T1105', 'T1204.002'], NAMES.downloadRun, layer, span, extra),
      );
    } else if (!d.bits) out.push(technique('download-file', ['T1105'], NAMES.download, layer, d.span, extra));
  }
  return out;
}

function bitsDest(statement: string): string | undefined {
  const m = BITS_DEST_RE.exec(statement);
  return m?.[2] ?? m?.[4];
}

/**
 * A decoded script as words, quotes, parentheses and separators stripped, so the command-line rules
 * that read an argv (pool URLs, miner options, wallets) read a script's arguments the same way.
 */
export function scriptWords(text: string): string[] {
  return text
    .split(/[\s;|]+/)
    .map((w) => w.replace(/^[('"`@{[,]+|[)'"`},\]]+$/g, ''))
    .filter((w) => w !== '');
}
