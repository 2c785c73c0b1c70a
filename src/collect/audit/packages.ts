// Pending security updates from apt's local metadata, without running apt's resolver (seconds on a
// small machine): the installed versions from /var/lib/dpkg/status and the versions in the security
// suites' package lists already on disk (decompressed by apt's own helper). No network, no change.
// Also the kernels installed beside the running one. rpm hosts (no dpkg status) are read by
// rpm-packages.ts: rpm database, dnf/yum history and the repositories' updateinfo.
import type { KernelFacts, PackageFacts } from '../../snapshot/audit.js';
import { compareDebVersions } from '../../audit/debversion.js';
import type { TargetFs } from '../../target/fs.js';
import { run } from './exec.js';
import { collectRpmPackages } from './rpm-packages.js';

interface Stanza {
  Package?: string;
  Version?: string;
  Architecture?: string;
  Status?: string;
}

/** Iterates the stanzas of a deb822 file, keeping only the fields asked for. */
export function* stanzas(text: string): Generator<Stanza> {
  let cur: Stanza = {};
  for (const line of text.split('\n')) {
    if (line === '') {
      if (cur.Package) yield cur;
      cur = {};
      continue;
    }
    const m = /^(Package|Version|Architecture|Status): (.*)$/.exec(line);
    if (m) cur[m[1] as keyof Stanza] = m[2]!.trim();
  }
  if (cur.Package) yield cur;
}

/** name:arch → version of every package dpkg lists as installed. */
export function installedPackages(status: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of stanzas(status)) {
    if (!s.Status?.endsWith(' installed') || !s.Version) continue;
    out.set(`${s.Package}:${s.Architecture ?? 'all'}`, s.Version);
  }
  return out;
}

/** Matches list entries to installed packages (same name, same architecture or `all`). */
export function matchCandidates(
  installed: Map<string, string>,
  listText: string,
  list: string,
): PackageFacts['candidates'] {
  const best = new Map<string, PackageFacts['candidates'][number]>();
  for (const s of stanzas(listText)) {
    if (!s.Version) continue;
    const arch = s.Architecture ?? 'all';
    const key = `${s.Package}:${arch}`;
    const have = installed.get(key);
    if (have === undefined) continue;
    const prev = best.get(key);
    if (prev && compareDebVersions(prev.candidate, s.Version) >= 0) continue;
    best.set(key, { name: s.Package!, arch, installed: have, candidate: s.Version, list });
  }
  return [...best.values()];
}

async function listText(fs: TargetFs, file: string): Promise<string> {
  if (!/\.(?:lz4|gz|xz|bz2|zst)$/.test(file)) return fs.text(file);
  // apt's own helper knows every compression apt uses; it only reads the file (named as a host path).
  const host = await fs.hostPath(file);
  const r = await run('/usr/lib/apt/apt-helper', ['cat-file', host], 10_000);
  if (r.error || r.missing) throw new Error(r.error ?? `cannot decompress ${host}: apt-helper is missing`);
  return r.stdout;
}

export async function collectPackages(fs: TargetFs): Promise<PackageFacts> {
  const status = await fs.text('/var/lib/dpkg/status').catch(() => undefined);
  if (status === undefined)
    return (await collectRpmPackages(fs)) ?? { manager: 'none', securityLists: [], candidates: [] };
  const facts: PackageFacts = { manager: 'apt', securityLists: [], candidates: [] };
  const lists = '/var/lib/apt/lists';
  const listNames = await fs.names(lists).catch(() => []);
  let newest = 0;
  for (const n of listNames) {
    if (!/_(?:In)?Release$/.test(n)) continue;
    const st = await fs.stat(`${lists}/${n}`).catch(() => undefined);
    if (st && st.mtimeMs > newest) newest = st.mtimeMs;
  }
  if (newest > 0) facts.listsUpdatedAt = new Date(newest).toISOString();
  const installed = installedPackages(status);
  const errors: string[] = [];
  for (const n of listNames.filter((x) => /security/i.test(x) && /_Packages(?:\.\w+)?$/.test(x))) {
    try {
      facts.candidates.push(...matchCandidates(installed, await listText(fs, `${lists}/${n}`), n));
      facts.securityLists.push(n);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) facts.error = errors.join('; ');
  facts.candidates.sort((a, b) => a.name.localeCompare(b.name) || a.arch.localeCompare(b.arch));
  return facts;
}

export async function collectKernel(fs: TargetFs, running: string | undefined): Promise<KernelFacts> {
  const installed = new Set<string>();
  for (const dir of ['/lib/modules', '/usr/lib/modules'])
    for (const n of await fs.names(dir).catch(() => [])) installed.add(n);
  for (const n of await fs.names('/boot').catch(() => [])) {
    const m = /^vmlinuz-(.+)$/.exec(n);
    if (m) installed.add(m[1]!);
  }
  const facts: KernelFacts = { installed: [...installed].sort() };
  if (running) facts.running = running;
  return facts;
}
