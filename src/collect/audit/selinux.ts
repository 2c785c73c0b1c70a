// SELinux's mode for the audit (issue 23): SELINUX= and SELINUXTYPE= of the target's
// /etc/selinux/config, read through its door on any root, and, on the running system only, the
// kernel's current mode from /sys/fs/selinux/enforce. An offline root's /sys (if any) is a copy or
// empty, never the state of a running kernel, so it is not read.
import { SELINUX_MODES, type SelinuxFacts, type SelinuxMode } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';
import { isGone } from '../support.js';

const CONFIG = '/etc/selinux/config';
const ENFORCE = '/sys/fs/selinux/enforce';
const SELF_CONTEXT = '/proc/self/attr/current';

/**
 * The config as libselinux reads it at boot: lines must start with the tag; for SELINUX= the first
 * line whose value begins with a known mode (any case) wins, later ones are ignored; for SELINUXTYPE=
 * the last one wins. A SELINUX= value libselinux would not recognise is kept as written, so the
 * check can name it instead of guessing.
 */
export function parseSelinuxConfig(text: string): NonNullable<SelinuxFacts['config']> {
  const out: NonNullable<SelinuxFacts['config']> = {};
  let firstRaw: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('SELINUX=') && out.mode === undefined) {
      const value = line.slice('SELINUX='.length).trim();
      const known = SELINUX_MODES.find((m) => value.toLowerCase().startsWith(m));
      if (known) out.mode = known;
      else firstRaw ??= value;
    } else if (/^SELINUXTYPE=/i.test(line)) {
      const type = line.slice('SELINUXTYPE='.length).trim();
      if (type) out.type = type;
    }
  }
  if (out.mode === undefined && firstRaw !== undefined) out.mode = firstRaw;
  return out;
}

/** /sys/fs/selinux/enforce: `1` enforcing, `0` permissive. */
export function parseEnforce(text: string): SelinuxMode | undefined {
  const v = text.trim();
  return v === '1' ? 'enforcing' : v === '0' ? 'permissive' : undefined;
}

/** The kernel's mode now; `disabled` when selinuxfs is not mounted (SELinux off or not built in). */
async function liveMode(fs: TargetFs): Promise<Pick<SelinuxFacts, 'live' | 'liveNote'>> {
  try {
    const mode = parseEnforce(await fs.text(ENFORCE, { maxBytes: 64 }));
    if (!mode) return { liveNote: `${ENFORCE} holds neither 0 nor 1` };
    // RHEL 9 boots SELINUX=disabled with selinuxfs mounted and no policy loaded: processes then run
    // in the `kernel` context, which is how libselinux's is_selinux_enabled() tells it is off.
    const context = await fs.text(SELF_CONTEXT, { maxBytes: 256 }).catch(() => undefined);
    if (context?.replace(/\0/g, '').trim() === 'kernel') return { live: 'disabled' };
    return { live: mode };
  } catch (err) {
    if (!isGone(err)) return { liveNote: `${ENFORCE}: ${(err as Error).message}` };
    // No enforce file: with /sys/fs mounted that means no selinuxfs, i.e. SELinux is not running.
    if (await fs.exists('/sys/fs')) return { live: 'disabled' };
    return { liveNote: '/sys is not mounted: the running mode is unknown' };
  }
}

export async function collectSelinux(fs: TargetFs, live: boolean): Promise<SelinuxFacts> {
  const facts: SelinuxFacts = { installed: await fs.exists('/etc/selinux') };
  const text = await fs.text(CONFIG).catch((err: unknown) => {
    // A missing config is a fact (no policy configured); anything else must not read as "absent".
    if (isGone(err)) return undefined;
    throw err;
  });
  if (text !== undefined) facts.config = parseSelinuxConfig(text);
  Object.assign(
    facts,
    live ? await liveMode(fs) : { liveNote: 'an offline root has no running kernel to ask' },
  );
  return facts;
}
