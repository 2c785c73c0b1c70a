// Reads one Task Scheduler task file (Windows/System32/Tasks/**, schema 1.2 and later): decodes its
// bytes the way Windows writes them (UTF-16LE with a BOM, sometimes UTF-8), parses the XML with a
// small bounded reader and extracts what a detector judges: actions, triggers, principals and the
// Hidden/Enabled settings. The files come from a volume an attacker controlled, so every step is
// bounded (size, depth, node count, no DTD and so no entity expansion) and ends in an error object,
// never an exception or a hang. Pure: no I/O.
import type { Localized } from '../../model/finding.js';
import { t } from '../../model/localized.js';

/** Why a task file could not be read; `offset` is a character offset in the decoded text. */
export interface TaskXmlError {
  code:
    | 'empty'
    | 'too-large'
    | 'encoding'
    | 'doctype'
    | 'malformed'
    | 'too-deep'
    | 'too-many-nodes'
    | 'not-a-task';
  message: Localized;
  offset?: number;
}

export interface XmlLimits {
  /** Largest file read, in bytes; real task files are a few KiB. */
  maxBytes: number;
  /** Deepest element nesting; the task schema needs 6. */
  maxDepth: number;
  /** Most elements in one document. */
  maxNodes: number;
  /** Most attributes on one element. */
  maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 2 * 1024 * 1024,
  maxDepth: 64,
  maxNodes: 20_000,
  maxAttributes: 64,
};

/** One element: local name (namespace prefix dropped), attributes, child elements, text content. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA) concatenated, entities resolved. */
  text: string;
}

export type TextEncodingName = 'utf-16le' | 'utf-16be' | 'utf-8' | 'windows-1252';

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
  bom: boolean;
  /** Oddities that did not stop the read, e.g. a declaration that contradicts the bytes. */
  warnings: string[];
}

export type Result<T> = ({ ok: true } & T) | { ok: false; error: TaskXmlError };

function fail(
  code: TaskXmlError['code'],
  en: string,
  zh: string,
  offset?: number,
): { ok: false; error: TaskXmlError } {
  return { ok: false, error: { code, message: t(en, zh), ...(offset === undefined ? {} : { offset }) } };
}

const DECLARED_ENCODING = /^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/;

/** The encoding an 8-bit document declares, mapped onto the decoders we use. */
function declaredEncoding(head: string): { label?: string; use?: TextEncodingName } {
  const label = DECLARED_ENCODING.exec(head)?.[1]?.toLowerCase();
  if (label === undefined || /^(utf-?8|us-ascii|ascii)$/.test(label)) return { label, use: 'utf-8' };
  if (/^(windows-1252|cp1252|iso-8859-1|latin-?1)$/.test(label)) return { label, use: 'windows-1252' };
  return { label };
}

/**
 * Decodes a task file's bytes: a BOM decides (UTF-8, UTF-16LE/BE; UTF-32 is refused), then the
 * zero-byte pattern of `<?` (UTF-16 without BOM), then the declared encoding of an 8-bit file.
 * A file that declares UTF-16 but is stored as 8-bit text is read as UTF-8 with a warning, since a
 * scanner should see what it holds; bytes that are invalid in the chosen encoding are an error.
 */
export function decodeTaskBytes(bytes: Uint8Array, limits: Partial<XmlLimits> = {}): Result<DecodedText> {
  const maxBytes = limits.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  if (bytes.length === 0) return fail('empty', 'the task file is empty', '任务文件为空');
  if (bytes.length > maxBytes)
    return fail(
      'too-large',
      `the task file has ${bytes.length} bytes, more than the ${maxBytes} read`,
      `任务文件有 ${bytes.length} 字节，超过读取上限 ${maxBytes}`,
    );
  const b = (i: number): number => bytes[i] ?? -1;
  const warnings: string[] = [];
  let encoding: TextEncodingName;
  let start = 0;
  if (
    (b(0) === 0xff && b(1) === 0xfe && b(2) === 0 && b(3) === 0) ||
    (b(0) === 0 && b(1) === 0 && b(2) === 0xfe)
  )
    return fail('encoding', 'UTF-32 task files are not supported', '不支持 UTF-32 编码的任务文件');
  if (b(0) === 0xef && b(1) === 0xbb && b(2) === 0xbf) [encoding, start] = ['utf-8', 3];
  else if (b(0) === 0xff && b(1) === 0xfe) [encoding, start] = ['utf-16le', 2];
  else if (b(0) === 0xfe && b(1) === 0xff) [encoding, start] = ['utf-16be', 2];
  else if (b(0) === 0x3c && b(1) === 0) encoding = 'utf-16le';
  else if (b(0) === 0 && b(1) === 0x3c) encoding = 'utf-16be';
  else {
    const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1');
    const declared = declaredEncoding(head);
    if (declared.use) encoding = declared.use;
    else if (declared.label && /^(utf-?16(le|be)?|ucs-?2|unicode)$/.test(declared.label)) {
      encoding = 'utf-8';
      warnings.push(`declares encoding "${declared.label}" but is stored as 8-bit text; read as UTF-8`);
    } else
      return fail(
        'encoding',
        `the task file declares an unsupported encoding "${declared.label ?? ''}"`,
        `任务文件声明了不支持的编码 "${declared.label ?? ''}"`,
      );
  }
  if (start > 0) {
    const head = decodeLoose(bytes.subarray(start, start + 512), encoding);
    const label = DECLARED_ENCODING.exec(head)?.[1]?.toLowerCase();
    const family = encoding.startsWith('utf-16') ? /^(utf-?16(le|be)?|ucs-?2|unicode)$/ : /^utf-?8$/;
    if (label !== undefined && !family.test(label))
      warnings.push(
        `declares encoding "${label}" but starts with a ${encoding} byte-order mark; read as ${encoding}`,
      );
  }
  try {
    const text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start));
    return { ok: true, text, encoding, bom: start > 0, warnings };
  } catch {
    return fail(
      'encoding',
      `the task file is not valid ${encoding} text (truncated or mis-encoded)`,
      `任务文件不是有效的 ${encoding} 文本（被截断或编码错误）`,
    );
  }
}

function decodeLoose(bytes: Uint8Array, encoding: TextEncodingName): string {
  return new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes.subarray(0, bytes.length & ~1));
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Resolves the five predefined entities and numeric character references; anything else is an error. */
function decodeEntities(raw: string, offset: number): Result<{ value: string }> {
  if (!raw.includes('&')) return { ok: true, value: raw };
  let out = '';
  let i = 0;
  for (;;) {
    const amp = raw.indexOf('&', i);
    if (amp < 0) break;
    out += raw.slice(i, amp);
    const semi = raw.indexOf(';', amp);
    const name = semi < 0 || semi - amp > 12 ? '' : raw.slice(amp + 1, semi);
    let value = PREDEFINED[name];
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    if (numeric) {
      const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
      const valid = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0x10ffff);
      if (valid && !(code >= 0xd800 && code <= 0xdfff) && code !== 0xfffe && code !== 0xffff)
        value = String.fromCodePoint(code);
    }
    if (value === undefined)
      return fail(
        'malformed',
        `unknown or invalid entity reference "${raw.slice(amp, Math.min(raw.length, amp + 14))}" (task XML has no DTD)`,
        `未知或无效的实体引用 "${raw.slice(amp, Math.min(raw.length, amp + 14))}"（任务 XML 没有 DTD）`,
        offset + amp,
      );
    out += value;
    i = semi + 1;
  }
  return { ok: true, value: out + raw.slice(i) };
}

function isNameChar(c: number, first: boolean): boolean {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a || c >= 0x80)
    return true;
  return !first && ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function localName(qname: string): string {
  return qname.slice(qname.indexOf(':') + 1);
}

/** A cursor over the decoded text; every step moves forward, so parsing is linear in the input. */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.i >= this.s.length;
  }
  code(): number {
    return this.s.charCodeAt(this.i);
  }
  skipSpace(): void {
    while (this.i < this.s.length && isSpace(this.code())) this.i++;
  }
  name(): string {
    const start = this.i;
    if (this.done || !isNameChar(this.code(), true)) return '';
    while (this.i < this.s.length && isNameChar(this.code(), false)) this.i++;
    return this.s.slice(start, this.i);
  }
}

const truncated = (offset: number) =>
  fail(
    'malformed',
    'the XML ends in the middle of a construct (truncated file?)',
    'XML 在结构中途结束（文件被截断？）',
    offset,
  );

/** Reads a start tag's attributes up to `>` or `/>`; the cursor stands after the element name. */
function readAttributes(
  cur: Cursor,
  limits: XmlLimits,
): Result<{ attrs: Record<string, string>; selfClosing: boolean }> {
  const attrs = Object.create(null) as Record<string, string>;
  let count = 0;
  for (;;) {
    cur.skipSpace();
    if (cur.done) return truncated(cur.i);
    if (cur.s.startsWith('/>', cur.i)) {
      cur.i += 2;
      return { ok: true, attrs, selfClosing: true };
    }
    if (cur.code() === 0x3e) {
      cur.i++;
      return { ok: true, attrs, selfClosing: false };
    }
    const at = cur.i;
    const name = cur.name();
    if (!name) return fail('malformed', 'bad character in a start tag', '开始标签中有非法字符', cur.i);
    cur.skipSpace();
    if (cur.code() !== 0x3d)
      return fail('malformed', `attribute "${name}" has no value`, `属性 "${name}" 没有值`, cur.i);
    cur.i++;
    cur.skipSpace();
    const quote = cur.s[cur.i];
    if (quote !== '"' && quote !== "'")
      return fail('malformed', `attribute "${name}" is not quoted`, `属性 "${name}" 没有加引号`, cur.i);
    const end = cur.s.indexOf(quote, cur.i + 1);
    if (end < 0) return truncated(cur.i);
    const raw = cur.s.slice(cur.i + 1, end);
    if (raw.includes('<'))
      return fail('malformed', `"<" in attribute "${name}"`, `属性 "${name}" 中含有 "<"`, cur.i);
    const value = decodeEntities(raw, cur.i + 1);
    if (!value.ok) return value;
    if (++count > limits.maxAttributes)
      return fail('too-many-nodes', 'too many attributes on one element', '单个元素的属性过多', at);
    if (name in attrs) return fail('malformed', `attribute "${name}" repeated`, `属性 "${name}" 重复`, at);
    attrs[name] = value.value.replace(/[\t\n\r]/g, ' ');
    cur.i = end + 1;
  }
}

/** Skips `<?…?>`, `<!--…-->`; returns the CDATA text for `<![CDATA[…]]>`; refuses DOCTYPE. */
function readMarkup(cur: Cursor): Result<{ cdata?: string }> {
  const s = cur.s;
  const skipTo = (close: string, from: number): Result<{ cdata?: string }> => {
    const end = s.indexOf(close, from);
    if (end < 0) return truncated(cur.i);
    cur.i = end + close.length;
    return { ok: true };
  };
  if (s.startsWith('<?', cur.i)) return skipTo('?>', cur.i + 2);
  if (s.startsWith('<!--', cur.i)) return skipTo('-->', cur.i + 4);
  if (s.startsWith('<![CDATA[', cur.i)) {
    const end = s.indexOf(']]>', cur.i + 9);
    if (end < 0) return truncated(cur.i);
    const cdata = s.slice(cur.i + 9, end);
    cur.i = end + 3;
    return { ok: true, cdata };
  }
  if (s.startsWith('<!DOCTYPE', cur.i))
    return fail(
      'doctype',
      'the XML carries a DOCTYPE; task files never do (Windows refuses DTDs), so it is not read, to avoid entity expansion',
      'XML 中含有 DOCTYPE；任务文件从不包含（Windows 拒绝 DTD），为避免实体展开不予读取',
      cur.i,
    );
  return fail('malformed', 'unexpected markup "<!"', '意外的标记 "<!"', cur.i);
}

/**
 * Parses a whole XML document into its root element. Linear in the input; nesting, element count
 * and attributes are bounded by `limits`; DTDs are refused; only the predefined entities and
 * numeric character references are resolved.
 */
export function parseXml(text: string, limits: Partial<XmlLimits> = {}): Result<{ root: XmlElement }> {
  const lim = { ...DEFAULT_XML_LIMITS, ...limits };
  const cur = new Cursor(text);
  const stack: { qname: string; el: XmlElement }[] = [];
  let root: XmlElement | undefined;
  let nodes = 0;
  while (!cur.done) {
    const lt = text.indexOf('<', cur.i);
    const chunkEnd = lt < 0 ? text.length : lt;
    if (chunkEnd > cur.i) {
      const raw = text.slice(cur.i, chunkEnd);
      const top = stack[stack.length - 1];
      if (!top) {
        if (/[^\s\uFEFF]/.test(raw))
          return fail('malformed', 'text outside the root element', '根元素之外有文本', cur.i);
      } else {
        const value = decodeEntities(raw, cur.i);
        if (!value.ok) return value;
        top.el.text += value.value;
      }
    }
    if (lt < 0) break;
    cur.i = lt;
    if (text.startsWith('</', lt)) {
      cur.i += 2;
      const qname = cur.name();
      cur.skipSpace();
      if (cur.done) return truncated(lt);
      const open = stack.pop();
      if (cur.code() !== 0x3e || !open || open.qname !== qname)
        return fail('malformed', `unexpected end tag </${qname}>`, `意外的结束标签 </${qname}>`, lt);
      cur.i++;
      continue;
    }
    if (text.startsWith('<!', lt) || text.startsWith('<?', lt)) {
      const markup = readMarkup(cur);
      if (!markup.ok) return markup;
      const top = stack[stack.length - 1];
      if (markup.cdata !== undefined) {
        if (!top) return fail('malformed', 'CDATA outside the root element', '根元素之外有 CDATA', lt);
        top.el.text += markup.cdata;
      }
      continue;
    }
    cur.i++;
    const qname = cur.name();
    if (!qname) return fail('malformed', 'bad character after "<"', '"<" 之后有非法字符', lt);
    if (++nodes > lim.maxNodes)
      return fail('too-many-nodes', `more than ${lim.maxNodes} elements`, `元素超过 ${lim.maxNodes} 个`, lt);
    if (stack.length >= lim.maxDepth)
      return fail(
        'too-deep',
        `elements nested deeper than ${lim.maxDepth}`,
        `元素嵌套超过 ${lim.maxDepth} 层`,
        lt,
      );
    if (root && stack.length === 0) return fail('malformed', 'a second root element', '出现第二个根元素', lt);
    const attrs = readAttributes(cur, lim);
    if (!attrs.ok) return attrs;
    const el: XmlElement = { name: localName(qname), attrs: attrs.attrs, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.el.children.push(el);
    else root = el;
    if (!attrs.selfClosing) stack.push({ qname, el });
  }
  const open = stack[stack.length - 1];
  if (open)
    return fail(
      'malformed',
      `the XML ends inside <${open.qname}> (truncated file?)`,
      `XML 在 <${open.qname}> 内部结束（文件被截断？）`,
      text.length,
    );
  if (!root) return fail('malformed', 'no root element', '没有根元素', 0);
  return { ok: true, root };
}

// ----- the task model -----

export type TriggerKind =
  | 'boot'
  | 'logon'
  | 'time'
  | 'calendar'
  | 'idle'
  | 'event'
  | 'registration'
  | 'session-state-change'
  | 'other';

export interface TaskTrigger {
  kind: TriggerKind;
  /** The element name as written, e.g. `LogonTrigger`. */
  element: string;
  id?: string;
  enabled: boolean;
  startBoundary?: string;
  endBoundary?: string;
  /** Delay after the event (ISO 8601 duration), for boot/logon/event/registration triggers. */
  delay?: string;
  /** The user a logon or session trigger is limited to. */
  userId?: string;
  /** `PT5M`: the action is started again every interval, for `duration` (absent: indefinitely). */
  repetition?: { interval?: string; duration?: string; stopAtDurationEnd?: boolean };
  /** Calendar schedule: by day, week, month or month/day-of-week, with its interval. */
  schedule?: { by: 'day' | 'week' | 'month' | 'month-day-of-week'; interval?: number };
  /** The event query of an event trigger. */
  subscription?: string;
}

export interface TaskPrincipal {
  id?: string;
  userId?: string;
  groupId?: string;
  /** `LeastPrivilege` or `HighestAvailable` (elevated). */
  runLevel?: string;
  /** `InteractiveToken`, `S4U`, `Password`, `ServiceAccount`, … */
  logonType?: string;
  displayName?: string;
}

export interface TaskSettings {
  /** Hidden from the Task Scheduler UI by default (schema default false). */
  hidden: boolean;
  /** Schema default true. */
  enabled: boolean;
  /** `PT0S` means no limit: a task that runs forever, as a miner does. */
  executionTimeLimit?: string;
  disallowStartIfOnBatteries: boolean;
  stopIfGoingOnBatteries: boolean;
  runOnlyIfIdle: boolean;
  wakeToRun: boolean;
  priority?: number;
  multipleInstancesPolicy?: string;
}

export type TaskAction =
  | { type: 'exec'; id?: string; command: string; arguments?: string; workingDirectory?: string }
  | { type: 'com-handler'; id?: string; classId: string; data?: string }
  | { type: 'other'; id?: string; element: string };

export interface ScheduledTaskXml {
  version?: string;
  registration: { uri?: string; author?: string; date?: string; description?: string; source?: string };
  triggers: TaskTrigger[];
  principals: TaskPrincipal[];
  settings: TaskSettings;
  /** The principal id the actions run under (`<Actions Context="Author">`). */
  actionsContext?: string;
  actions: TaskAction[];
}

function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

function text(el: XmlElement | undefined, name: string): string | undefined {
  const value = child(el, name)?.text.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** xs:boolean: `true`/`1`, `false`/`0`; anything else keeps the schema default. */
function bool(el: XmlElement | undefined, name: string, fallback: boolean): boolean {
  const value = text(el, name)?.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return fallback;
}

function num(el: XmlElement | undefined, name: string): number | undefined {
  const value = text(el, name);
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

function optional<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const TRIGGER_KINDS: Record<string, TriggerKind> = {
  BootTrigger: 'boot',
  LogonTrigger: 'logon',
  TimeTrigger: 'time',
  CalendarTrigger: 'calendar',
  IdleTrigger: 'idle',
  EventTrigger: 'event',
  RegistrationTrigger: 'registration',
  SessionStateChangeTrigger: 'session-state-change',
};

const SCHEDULES: [string, NonNullable<TaskTrigger['schedule']>['by'], string][] = [
  ['ScheduleByDay', 'day', 'DaysInterval'],
  ['ScheduleByWeek', 'week', 'WeeksInterval'],
  ['ScheduleByMonth', 'month', ''],
  ['ScheduleByMonthDayOfWeek', 'month-day-of-week', ''],
];

function readTrigger(el: XmlElement): TaskTrigger {
  const rep = child(el, 'Repetition');
  const repetition = rep
    ? optional({
        interval: text(rep, 'Interval'),
        duration: text(rep, 'Duration'),
        stopAtDurationEnd:
          text(rep, 'StopAtDurationEnd') === undefined ? undefined : bool(rep, 'StopAtDurationEnd', false),
      })
    : undefined;
  let schedule: TaskTrigger['schedule'];
  for (const [name, by, intervalName] of SCHEDULES) {
    const s = child(el, name);
    if (s) schedule = optional({ by, interval: intervalName ? num(s, intervalName) : undefined });
  }
  return optional({
    kind: TRIGGER_KINDS[el.name] ?? 'other',
    element: el.name,
    id: el.attrs.id,
    enabled: bool(el, 'Enabled', true),
    startBoundary: text(el, 'StartBoundary'),
    endBoundary: text(el, 'EndBoundary'),
    delay: text(el, 'Delay'),
    userId: text(el, 'UserId'),
    repetition,
    schedule,
    subscription: text(el, 'Subscription'),
  });
}

function readAction(el: XmlElement): TaskAction {
  const id = el.attrs.id;
  if (el.name === 'Exec')
    return optional({
      type: 'exec' as const,
      id,
      command: text(el, 'Command') ?? '',
      arguments: text(el, 'Arguments'),
      workingDirectory: text(el, 'WorkingDirectory'),
    });
  if (el.name === 'ComHandler')
    return optional({
      type: 'com-handler' as const,
      id,
      classId: text(el, 'ClassId') ?? '',
      data: text(el, 'Data'),
    });
  return optional({ type: 'other' as const, id, element: el.name });
}

function readSettings(el: XmlElement | undefined): TaskSettings {
  return optional({
    hidden: bool(el, 'Hidden', false),
    enabled: bool(el, 'Enabled', true),
    executionTimeLimit: text(el, 'ExecutionTimeLimit'),
    disallowStartIfOnBatteries: bool(el, 'DisallowStartIfOnBatteries', true),
    stopIfGoingOnBatteries: bool(el, 'StopIfGoingOnBatteries', true),
    runOnlyIfIdle: bool(el, 'RunOnlyIfIdle', false),
    wakeToRun: bool(el, 'WakeToRun', false),
    priority: num(el, 'Priority'),
    multipleInstancesPolicy: text(el, 'MultipleInstancesPolicy'),
  });
}

/** Extracts the task model from a parsed document whose root is `<Task>`. */
export function taskFromXml(root: XmlElement): Result<{ task: ScheduledTaskXml }> {
  if (root.name !== 'Task')
    return fail(
      'not-a-task',
      `the root element is <${root.name}>, not <Task>`,
      `根元素是 <${root.name}>，不是 <Task>`,
      0,
    );
  const reg = child(root, 'RegistrationInfo');
  const actions = child(root, 'Actions');
  const task: ScheduledTaskXml = optional({
    version: root.attrs.version,
    registration: optional({
      uri: text(reg, 'URI'),
      author: text(reg, 'Author'),
      date: text(reg, 'Date'),
      description: text(reg, 'Description'),
      source: text(reg, 'Source'),
    }),
    triggers: (child(root, 'Triggers')?.children ?? []).map(readTrigger),
    principals: (child(root, 'Principals')?.children ?? [])
      .filter((p) => p.name === 'Principal')
      .map((p) =>
        optional({
          id: p.attrs.id,
          userId: text(p, 'UserId'),
          groupId: text(p, 'GroupId'),
          runLevel: text(p, 'RunLevel'),
          logonType: text(p, 'LogonType'),
          displayName: text(p, 'DisplayName'),
        }),
      ),
    settings: readSettings(child(root, 'Settings')),
    actionsContext: actions?.attrs.Context,
    actions: (actions?.children ?? []).map(readAction),
  });
  return { ok: true, task };
}

export interface TaskFileRead {
  task: ScheduledTaskXml;
  encoding: TextEncodingName;
  bom: boolean;
  warnings: string[];
}

/** Decodes, parses and extracts one task file. Never throws: every failure is an error object. */
export function readTaskXml(bytes: Uint8Array, limits: Partial<XmlLimits> = {}): Result<TaskFileRead> {
  try {
    const decoded = decodeTaskBytes(bytes, limits);
    if (!decoded.ok) return decoded;
    const doc = parseXml(decoded.text, limits);
    if (!doc.ok) return doc;
    const task = taskFromXml(doc.root);
    if (!task.ok) return task;
    return {
      ok: true,
      task: task.task,
      encoding: decoded.encoding,
      bom: decoded.bom,
      warnings: decoded.warnings,
    };
  } catch (error) {
    // Not expected (every path above returns); kept so a reader bug is a record, not a crashed scan.
    const why = error instanceof Error ? error.message : String(error);
    return fail('malformed', `the task file could not be read: ${why}`, `无法读取任务文件：${why}`);
  }
}

/** The principal the actions run as: the one named by the Actions context, else the first. */
export function taskPrincipal(task: ScheduledTaskXml): TaskPrincipal | undefined {
  return (
    task.principals.find((p) => p.id !== undefined && p.id === task.actionsContext) ?? task.principals[0]
  );
}

/** An exec action as one command line (`"C:\Program Files\x.exe" args`), as Windows would start it. */
export function actionCommandLine(action: Extract<TaskAction, { type: 'exec' }>): string {
  const command =
    /\s/.test(action.command) && !action.command.startsWith('"') ? `"${action.command}"` : action.command;
  return action.arguments ? `${command} ${action.arguments}` : command;
}
