// Translates `nft -j list ruleset` (libnftables JSON, schema 1) into the filter model. Only what
// decides a new TCP/UDP connection to a port is understood; anything else becomes `maybe`, so the
// audit never claims a port is blocked because of a rule it did not understand.
import {
  PROTO_NUMBERS,
  not,
  portIn,
  type Chain,
  type Cond,
  type Probe,
  type Rule,
  type Tri,
  type Verdict,
} from './ir.js';

type Json = unknown;
type Obj = Record<string, Json>;

function obj(v: Json): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

interface NftSet {
  elems: Json[];
}

/** Turns a right-hand side into the values it stands for; undefined when it is not a literal. */
function values(right: Json, sets: Map<string, NftSet>, table: string): Json[] | undefined {
  if (typeof right === 'string' && right.startsWith('@')) {
    return sets.get(`${table} ${right.slice(1)}`)?.elems;
  }
  if (Array.isArray(right)) return right;
  const o = obj(right);
  if (o && Array.isArray(o.set)) return o.set;
  if (typeof right === 'number' || typeof right === 'string' || (o && 'range' in o)) return [right];
  return undefined;
}

function portItems(vals: Json[]): Array<number | [number, number]> | undefined {
  const out: Array<number | [number, number]> = [];
  for (const v of vals) {
    if (typeof v === 'number') out.push(v);
    else if (typeof v === 'string' && /^\d+$/.test(v)) out.push(Number(v));
    else {
      const r = obj(v)?.range;
      if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number') out.push([r[0], r[1]]);
      else return undefined;
    }
  }
  return out;
}

/** `==`/`in` test membership; `!=` negates it; anything else (`<`, `>=`…) we leave undecided. */
function applyOp(op: string, inSet: Tri): Tri {
  if (op === '==' || op === 'in') return inSet;
  if (op === '!=') return not(inSet);
  return 'maybe';
}

function matchCond(m: Obj, sets: Map<string, NftSet>, table: string): Cond {
  const op = typeof m.op === 'string' ? m.op : '==';
  const left = obj(m.left);
  const right = m.right;
  const payload = obj(left?.payload);
  const meta = obj(left?.meta);
  const ct = obj(left?.ct);

  if (payload && payload.field === 'dport') {
    const proto = payload.protocol;
    const items = (() => {
      const v = values(right, sets, table);
      return v ? portItems(v) : undefined;
    })();
    return (p: Probe) => {
      // `tcp dport` only matches TCP, whatever the operator: the payload is fetched from a TCP header.
      if ((proto === 'tcp' || proto === 'udp') && proto !== p.proto) return 'no';
      if (!items) return 'maybe';
      return applyOp(op, portIn(p.dport, items) ? 'yes' : 'no');
    };
  }
  if (payload && (payload.protocol === 'ip' || payload.protocol === 'ip6')) {
    const fam = payload.protocol;
    if (payload.field === 'protocol' || payload.field === 'nexthdr') {
      const v = values(right, sets, table);
      return (p: Probe) => {
        if (fam !== p.family) return 'no';
        if (!v) return 'maybe';
        return applyOp(op, v.some((x) => PROTO_NUMBERS[String(x)] === p.proto) ? 'yes' : 'no');
      };
    }
    // An address match: on the right family it depends on the peer, which the audit does not fix.
    return (p: Probe) => (fam !== p.family ? 'no' : 'maybe');
  }
  if (payload && (payload.protocol === 'tcp' || payload.protocol === 'udp')) {
    const proto = payload.protocol;
    return (p: Probe) => (proto !== p.proto ? 'no' : 'maybe');
  }
  if (meta) {
    const key = meta.key;
    const v = values(right, sets, table);
    if (key === 'l4proto') {
      return () => 'maybe';
    }
    if (key === 'nfproto') {
      return (p: Probe) => {
        if (!v) return 'maybe';
        const want = p.family === 'ip' ? 'ipv4' : 'ipv6';
        return applyOp(op, v.includes(want) ? 'yes' : 'no');
      };
    }
    if (key === 'iifname' || key === 'oifname' || key === 'iif' || key === 'oif') {
      const inbound = key.startsWith('i');
      return (p: Probe) => {
        // The probe comes from (or goes to) a real interface: `iifname lo` never matches it; the
        // input interface does not apply to the output hook and vice versa.
        if ((p.direction === 'in') !== inbound) return 'maybe';
        if (!v) return 'maybe';
        if (v.length === 1 && v[0] === 'lo') return applyOp(op, 'no');
        return 'maybe';
      };
    }
    return () => 'maybe';
  }
  if (ct && (ct.key === 'state' || ct.key === 'status')) {
    const v = values(right, sets, table);
    if (ct.key === 'status') return () => 'maybe';
    return () => {
      if (!v) return 'maybe';
      return applyOp(op, v.includes('new') ? 'yes' : 'no');
    };
  }
  return () => 'maybe';
}

/** `meta l4proto tcp` written as its own condition: split out so it can see the probe's protocol. */
function l4protoCond(m: Obj, sets: Map<string, NftSet>, table: string): Cond | undefined {
  const meta = obj(obj(m.left)?.meta);
  if (meta?.key !== 'l4proto') return undefined;
  const op = typeof m.op === 'string' ? m.op : '==';
  const v = values(m.right, sets, table);
  return (p: Probe) => {
    if (!v) return 'maybe';
    return applyOp(op, v.some((x) => PROTO_NUMBERS[String(x)] === p.proto) ? 'yes' : 'no');
  };
}

function verdictOf(stmt: Obj): Verdict | undefined {
  if ('accept' in stmt) return { kind: 'accept' };
  if ('drop' in stmt || 'reject' in stmt) return { kind: 'drop' };
  if ('return' in stmt) return { kind: 'return' };
  const jump = obj(stmt.jump);
  if (jump && typeof jump.target === 'string') return { kind: 'jump', target: jump.target };
  const goto = obj(stmt.goto);
  if (goto && typeof goto.target === 'string') return { kind: 'goto', target: goto.target };
  const xt = obj(stmt.xt);
  if (xt && xt.type === 'target') {
    const name = String(xt.name);
    if (name === 'REJECT' || name === 'DROP') return { kind: 'drop' };
    if (name === 'ACCEPT') return { kind: 'accept' };
    if (name === 'LOG' || name === 'NFLOG') return undefined;
    return { kind: 'unknown', name };
  }
  if ('queue' in stmt) return { kind: 'unknown', name: 'queue' };
  return undefined;
}

function ruleText(expr: Json[]): string {
  return expr
    .map((e) => {
      const o = obj(e) ?? {};
      const key = Object.keys(o)[0] ?? '?';
      if (key === 'match') {
        const m = obj(o.match) ?? {};
        return `${JSON.stringify(m.left)} ${String(m.op)} ${JSON.stringify(m.right)}`;
      }
      return o[key] === null ? key : `${key} ${JSON.stringify(o[key])}`;
    })
    .join(' ');
}

const HOOKS: Record<string, Chain['hook']> = { input: 'input', output: 'output', forward: 'forward' };

/** Builds the chains of an `nft -j list ruleset` document. Throws on a document of another shape. */
export function chainsFromNft(doc: Json, skipTables: ReadonlySet<string> = new Set()): Chain[] {
  const items = obj(doc)?.nftables;
  if (!Array.isArray(items)) throw new Error('not an nft JSON ruleset (no "nftables" array)');
  const sets = new Map<string, NftSet>();
  const chains = new Map<string, Chain>();
  const famOf = (f: Json): Array<'ip' | 'ip6'> | undefined =>
    f === 'inet' ? ['ip', 'ip6'] : f === 'ip' ? ['ip'] : f === 'ip6' ? ['ip6'] : undefined;
  for (const item of items) {
    const o = obj(item) ?? {};
    const set = obj(o.set) ?? obj(o.map);
    if (set) {
      sets.set(`${String(set.family)} ${String(set.table)} ${String(set.name)}`, {
        elems: Array.isArray(set.elem) ? set.elem : [],
      });
    }
    const c = obj(o.chain);
    if (c) {
      const table = `${String(c.family)} ${String(c.table)}`;
      const families = famOf(c.family);
      if (!families || skipTables.has(table)) continue;
      const chain: Chain = {
        id: `nft ${table} ${String(c.name)}`,
        name: String(c.name),
        families,
        filter: c.type === undefined || c.type === 'filter',
        priority: typeof c.prio === 'number' ? c.prio : 0,
        rules: [],
        table,
      };
      if (typeof c.hook === 'string') chain.hook = HOOKS[c.hook] ?? 'other';
      if (c.policy === 'drop') chain.policy = 'drop';
      else if (chain.hook) chain.policy = 'accept';
      chains.set(`${table} ${String(c.name)}`, chain);
    }
  }
  for (const item of items) {
    const r = obj(obj(item)?.rule);
    if (!r) continue;
    const table = `${String(r.family)} ${String(r.table)}`;
    const chain = chains.get(`${table} ${String(r.chain)}`);
    if (!chain) continue;
    const expr = Array.isArray(r.expr) ? r.expr : [];
    const conds: Cond[] = [];
    let verdict: Verdict = { kind: 'none' };
    for (const e of expr) {
      const stmt = obj(e) ?? {};
      const m = obj(stmt.match);
      if (m) {
        conds.push(l4protoCond(m, sets, table) ?? matchCond(m, sets, table));
        continue;
      }
      const v = verdictOf(stmt);
      if (v) verdict = v;
      // A rate limit or quota decides per packet: the verdict after it may or may not apply.
      else if ('limit' in stmt || 'quota' in stmt || obj(stmt.xt)?.type === 'match')
        conds.push(() => 'maybe');
    }
    chain.rules.push({ conds, verdict, text: ruleText(expr) } satisfies Rule);
  }
  return [...chains.values()];
}
