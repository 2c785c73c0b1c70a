// WMI permanent event subscriptions of a Windows volume (source §4.5, issue 14): the consumers
// (a command line or a script WMI runs when an event fires), the filters (the WQL event query)
// and the bindings that tie them, read from the CIM repository's OBJECTS.DATA by a byte scan
// (which also finds deleted records, so each result says it may be one) and from the MOF files
// WMI keeps in wbem/AutoRecover to rebuild the repository. Stock subscriptions (the SCM Event Log
// consumer, BVTConsumer) are collected like any other: the detector decides. PowerShell carried
// by a command line or script is decoded into the snapshot.
import type { CollectContext } from '../context.js';
import type { CollectionRecord } from '../../snapshot/schema.js';
import {
  WMI_CONSUMER_CLASSES,
  type DecodedScript,
  type Windows,
  type WmiSubscription,
} from '../../snapshot/windows.js';
import type { TargetFs } from '../../target/fs.js';
import { decodeMofBytes, parseMof, type MofInstance, type MofValue } from '../../target/windows/mof.js';
import { findOnVolume } from '../../target/windows/volume.js';
import { parseReference, scanObjectsData } from '../../target/windows/wmi-repository.js';
import { CollectorLog } from '../support.js';
import { decodedOf } from './tasks.js';

export const WMI_LIMITS = {
  /** AutoRecover MOF files read, and the largest one. */
  maxMofFiles: 2000,
  maxMofBytes: 4 * 1024 * 1024,
  /** Script text kept in the snapshot, in characters (the schema's bound). */
  maxScriptChars: 4000,
  /** Subscriptions kept in all. */
  maxSubscriptions: 1000,
};

const REPOSITORIES = [
  'Windows/System32/wbem/Repository/OBJECTS.DATA',
  'Windows/System32/wbem/Repository/FS/OBJECTS.DATA',
];
const AUTORECOVER = 'Windows/System32/wbem/AutoRecover';

type WmiResult = { wmi?: Windows['wmi']; record: CollectionRecord };

type ConsumerClass = WmiSubscription['consumer']['class'];

function consumerClass(name: string): ConsumerClass {
  return WMI_CONSUMER_CLASSES.find((c) => c.toLowerCase() === name.toLowerCase()) ?? 'other';
}

/** A consumer's facts as the snapshot holds them, with the scripts it carries decoded. */
interface ConsumerFacts {
  className: string;
  name: string;
  commandLineTemplate?: string;
  executablePath?: string;
  scriptingEngine?: string;
  scriptText?: string;
  scriptFileName?: string;
}

interface FilterFacts {
  name: string;
  query?: string;
}

function consumerOut(c: ConsumerFacts): WmiSubscription['consumer'] {
  const out: WmiSubscription['consumer'] = { class: consumerClass(c.className), name: c.name };
  if (c.commandLineTemplate !== undefined) out.commandLineTemplate = c.commandLineTemplate;
  if (c.executablePath !== undefined) out.executablePath = c.executablePath;
  if (c.scriptingEngine !== undefined) out.scriptingEngine = c.scriptingEngine;
  if (c.scriptText !== undefined) out.scriptText = c.scriptText.slice(0, WMI_LIMITS.maxScriptChars);
  if (c.scriptFileName !== undefined) out.scriptFileName = c.scriptFileName;
  return out;
}

function decodedFor(c: ConsumerFacts): DecodedScript[] {
  const command = c.commandLineTemplate ?? c.executablePath;
  return [
    ...(command !== undefined ? decodedOf(command, WMI_LIMITS.maxScriptChars) : []),
    ...(c.scriptText !== undefined ? decodedOf(c.scriptText, WMI_LIMITS.maxScriptChars) : []),
  ];
}

const SUBSCRIPTION_CLASS_RE = /EventConsumer|__EventFilter|__FilterToConsumerBinding/i;

const key = (className: string, name: string) => `${className}\0${name}`.toLowerCase();

/**
 * Subscriptions from consumers, filters and bindings read from one source: one per consumer and
 * filter it is bound to (one with `bound: false` when no binding names it), plus one per binding
 * whose consumer was not found (its class and name are known from the binding).
 */
function assemble(
  source: WmiSubscription['source'],
  file: string,
  consumers: ConsumerFacts[],
  filters: FilterFacts[],
  bindings: { consumerClass: string; consumerName: string; filterName: string }[],
  mayBeDeleted: boolean,
): WmiSubscription[] {
  const filterByName = new Map<string, FilterFacts>();
  for (const f of filters) {
    const k = f.name.toLowerCase();
    const had = filterByName.get(k);
    if (!had || (had.query === undefined && f.query !== undefined)) filterByName.set(k, f);
  }
  const bindingsOf = new Map<string, string[]>();
  for (const b of bindings) {
    const k = key(b.consumerClass, b.consumerName);
    const list = bindingsOf.get(k) ?? [];
    if (!list.some((n) => n.toLowerCase() === b.filterName.toLowerCase())) list.push(b.filterName);
    bindingsOf.set(k, list);
  }
  const out: WmiSubscription[] = [];
  const base = (c: ConsumerFacts, filterName: string | undefined): WmiSubscription => {
    const sub: WmiSubscription = { source, file, consumer: consumerOut(c), bound: filterName !== undefined };
    if (filterName !== undefined) {
      const f = filterByName.get(filterName.toLowerCase());
      sub.filter = { name: filterName, ...(f?.query !== undefined ? { query: f.query } : {}) };
    }
    if (mayBeDeleted) sub.mayBeDeleted = true;
    const decoded = decodedFor(c);
    if (decoded.length > 0) sub.decoded = decoded;
    return sub;
  };
  const found = new Set<string>();
  for (const c of consumers) {
    const k = key(c.className, c.name);
    found.add(k);
    const names = bindingsOf.get(k);
    if (!names) out.push(base(c, undefined));
    else for (const n of names) out.push(base(c, n));
  }
  for (const b of bindings) {
    const k = key(b.consumerClass, b.consumerName);
    if (found.has(k)) continue;
    found.add(k);
    for (const n of bindingsOf.get(k) ?? [])
      out.push(base({ className: b.consumerClass, name: b.consumerName }, n));
  }
  return out;
}

// ----- OBJECTS.DATA -----

async function fromRepository(
  fs: TargetFs,
  file: string,
  log: CollectorLog,
  notes: string[],
): Promise<WmiSubscription[] | undefined> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) {
      log.add(file, new Error('OBJECTS.DATA is not a regular file'));
      return undefined;
    }
    const fh = await fs.open(file);
    try {
      const scan = await scanObjectsData({
        size: st.size,
        read: async (position, length) => {
          const buf = Buffer.alloc(Math.max(0, Math.min(length, st.size - position)));
          let got = 0;
          while (got < buf.length) {
            const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
          return buf.subarray(0, got);
        },
      });
      notes.push(
        `${file}: ${scan.consumers.length} consumer(s), ${scan.filters.length} filter(s), ` +
          `${scan.bindings.length} binding(s) found by a byte scan of ${scan.bytes} bytes (may include deleted records)`,
      );
      if (scan.unreadable > 0) notes.push(`${scan.unreadable} record(s) anchored but not readable`);
      if (scan.capped) {
        notes.push('record limit reached: later records of OBJECTS.DATA not read');
        log.add(file, new Error('record limit reached'));
      }
      return assemble('objects-data', file, scan.consumers, scan.filters, scan.bindings, true);
    } finally {
      await fh.close();
    }
  } catch (err) {
    log.add(file, err);
    return undefined;
  }
}

// ----- AutoRecover MOF files -----

/** A MOF property by name, whatever its case (MOF names are case-insensitive), when it is a string. */
function prop(inst: MofInstance, name: string): string | undefined {
  const k = Object.keys(inst.props).find((p) => p.toLowerCase() === name.toLowerCase());
  const v = k === undefined ? undefined : inst.props[k];
  return typeof v === 'string' ? v : undefined;
}

function rawProp(inst: MofInstance, name: string): MofValue | undefined {
  const k = Object.keys(inst.props).find((p) => p.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : inst.props[k];
}

/** Consumers, filters and bindings declared by the instances of one MOF file. */
function fromMof(instances: MofInstance[], file: string): WmiSubscription[] {
  const consumers: (ConsumerFacts & { alias?: string })[] = [];
  const filters: (FilterFacts & { alias?: string })[] = [];
  const bindings: { consumerClass: string; consumerName: string; filterName: string }[] = [];
  for (const inst of instances) {
    const cls = inst.className;
    if (/EventConsumer$/i.test(cls)) {
      const name = prop(inst, 'Name');
      if (name === undefined) continue;
      const c: ConsumerFacts & { alias?: string } = { className: cls, name };
      const set = (k: keyof ConsumerFacts, p: string) => {
        const v = prop(inst, p);
        if (v !== undefined) (c as unknown as Record<string, string>)[k] = v;
      };
      set('commandLineTemplate', 'CommandLineTemplate');
      set('executablePath', 'ExecutablePath');
      set('scriptingEngine', 'ScriptingEngine');
      set('scriptText', 'ScriptText');
      set('scriptFileName', 'ScriptFileName');
      if (inst.alias !== undefined) c.alias = inst.alias;
      consumers.push(c);
    } else if (/^__EventFilter$/i.test(cls)) {
      const name = prop(inst, 'Name');
      if (name === undefined) continue;
      const query = prop(inst, 'Query');
      filters.push({
        name,
        ...(query !== undefined ? { query } : {}),
        ...(inst.alias ? { alias: inst.alias } : {}),
      });
    }
  }
  const byAlias = <T extends { alias?: string }>(list: T[], alias: string) =>
    list.find((x) => x.alias?.toLowerCase() === alias.toLowerCase());
  for (const inst of instances) {
    if (!/^__FilterToConsumerBinding$/i.test(inst.className)) continue;
    const cv = rawProp(inst, 'Consumer');
    const fv = rawProp(inst, 'Filter');
    let consumer: { className: string; name: string } | undefined;
    if (cv && typeof cv === 'object' && 'alias' in cv) consumer = byAlias(consumers, cv.alias);
    else if (typeof cv === 'string') consumer = parseReference(cv);
    let filterName: string | undefined;
    if (fv && typeof fv === 'object' && 'alias' in fv) filterName = byAlias(filters, fv.alias)?.name;
    else if (typeof fv === 'string') filterName = parseReference(fv)?.name;
    if (consumer && filterName !== undefined)
      bindings.push({ consumerClass: consumer.className, consumerName: consumer.name, filterName });
  }
  return assemble('mof', file, consumers, filters, bindings, false);
}

async function fromAutoRecover(
  fs: TargetFs,
  dir: string,
  log: CollectorLog,
  notes: string[],
): Promise<WmiSubscription[]> {
  const out: WmiSubscription[] = [];
  let entries;
  try {
    entries = (await fs.list(dir)).filter((e) => e.isFile && /\.mof$/i.test(e.name));
  } catch (err) {
    log.add(dir, err);
    return out;
  }
  if (entries.length > WMI_LIMITS.maxMofFiles) {
    notes.push(`${entries.length} MOF files in ${dir}; only the first ${WMI_LIMITS.maxMofFiles} read`);
    log.add(dir, new Error('too many MOF files'));
    entries = entries.slice(0, WMI_LIMITS.maxMofFiles);
  }
  let withSubscriptions = 0;
  for (const e of entries) {
    try {
      const st = await fs.lstat(e.path);
      if (st.size > WMI_LIMITS.maxMofBytes) {
        log.add(e.path, new Error(`${st.size} bytes, more than the ${WMI_LIMITS.maxMofBytes} read`));
        continue;
      }
      const text = decodeMofBytes(await fs.read(e.path, { maxBytes: WMI_LIMITS.maxMofBytes }));
      // Most AutoRecover files are stock provider and class MOFs: only those naming a
      // subscription class are parsed.
      if (!SUBSCRIPTION_CLASS_RE.test(text)) continue;
      withSubscriptions++;
      const mof = parseMof(text);
      if (mof.problems.length > 0) notes.push(`${e.path}: ${mof.problems.slice(0, 3).join('; ')}`);
      out.push(...fromMof(mof.instances, e.path));
    } catch (err) {
      log.add(e.path, err);
    }
  }
  notes.push(
    `${entries.length} MOF file(s) read from ${dir}, ${withSubscriptions} naming a subscription class`,
  );
  return out;
}

/** Reads the WMI subscriptions of the volume into `windows.wmi`. */
export async function collectWmi(ctx: CollectContext): Promise<WmiResult> {
  const log = new CollectorLog('windows.wmi', ['windows-wmi']);
  const notes: string[] = [];
  let repository: string | undefined;
  for (const rel of REPOSITORIES) {
    repository = await findOnVolume(ctx.fs, rel);
    if (repository !== undefined) break;
  }
  const autoRecover = await findOnVolume(ctx.fs, AUTORECOVER);
  if (repository === undefined && autoRecover === undefined)
    return {
      record: log.record(
        'skipped',
        'no wbem/Repository/OBJECTS.DATA and no wbem/AutoRecover on the volume: WMI not read',
      ),
    };
  const wmi: WmiSubscription[] = [];
  let repoRead = false;
  if (repository !== undefined) {
    const subs = await fromRepository(ctx.fs, repository, log, notes);
    if (subs) {
      repoRead = true;
      wmi.push(...subs);
    }
  } else notes.push('no wbem/Repository/OBJECTS.DATA on the volume: only AutoRecover MOF files read');
  if (autoRecover !== undefined) wmi.push(...(await fromAutoRecover(ctx.fs, autoRecover, log, notes)));
  if (wmi.length > WMI_LIMITS.maxSubscriptions) {
    notes.push(`${wmi.length} subscriptions; only the first ${WMI_LIMITS.maxSubscriptions} kept`);
    wmi.length = WMI_LIMITS.maxSubscriptions;
  }
  if (repository !== undefined && !repoRead && autoRecover === undefined)
    return { record: log.record('failed', notes.join('; ') || 'OBJECTS.DATA could not be read') };
  const status = log.errorCount > 0 || repository === undefined ? 'partial' : 'ok';
  return { wmi, record: log.record(status, notes.join('; ')) };
}
