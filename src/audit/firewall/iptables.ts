// Translates `iptables-save` / `ip6tables-save` text (the filter table) into the filter model. The
// matches that decide a port (-p, --dport, multiport, -i/-o lo, state/conntrack) are understood;
// any other match makes the rule `maybe`, never a certain block.
import {
  PROTO_NUMBERS,
  not,
  portIn,
  type Chain,
  type Cond,
  type Probe,
  type Rule,
  type Verdict,
} from './ir.js';

/** Splits a rule line like a shell would for the quoting iptables-save uses (double quotes). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

function parsePorts(text: string): Array<number | [number, number]> | undefined {
  const out: Array<number | [number, number]> = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?::(\d+))?$/.exec(part);
    if (!m) return undefined;
    out.push(m[2] ? [Number(m[1]), Number(m[2])] : Number(m[1]));
  }
  return out;
}

const BUILTIN_HOOK: Record<string, Chain['hook']> = { INPUT: 'input', OUTPUT: 'output', FORWARD: 'forward' };

/**
 * Parses the `*filter` table of one iptables-save dump. `family` is `ip` for iptables-save and `ip6`
 * for ip6tables-save; `source` names the dump in chain ids.
 */
export function chainsFromIptablesSave(text: string, family: 'ip' | 'ip6', source: string): Chain[] {
  const chains = new Map<string, Chain>();
  let table: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (table !== 'filter' || line === '' || line.startsWith('#') || line === 'COMMIT') continue;
    if (line.startsWith(':')) {
      const [name = '', policy] = line.slice(1).split(/\s+/);
      const hook = BUILTIN_HOOK[name];
      const chain: Chain = {
        id: `${source} filter ${name}`,
        name,
        families: [family],
        filter: true,
        priority: 0,
        rules: [],
        table: `${source} filter`,
      };
      if (hook) {
        chain.hook = hook;
        chain.policy = policy === 'DROP' ? 'drop' : 'accept';
      }
      chains.set(name, chain);
      continue;
    }
    const tokens = tokenize(line);
    if (tokens[0] !== '-A' || !tokens[1]) continue;
    const chain = chains.get(tokens[1]);
    if (!chain) continue;
    chain.rules.push(parseRule(tokens.slice(2), line, new Set(chains.keys())));
  }
  return [...chains.values()];
}

function parseRule(args: string[], text: string, chainNames: ReadonlySet<string>): Rule {
  const conds: Cond[] = [];
  let verdict: Verdict = { kind: 'none' };
  let proto: 'tcp' | 'udp' | 'other' | undefined;
  let protoNegated = false;
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    let negated = false;
    if (a === '!') {
      negated = true;
      a = args[++i] ?? '';
    }
    const value = args[i + 1] ?? '';
    const take = (): string => {
      i++;
      return value;
    };
    switch (a) {
      case '-p':
      case '--protocol': {
        const v = take().toLowerCase();
        proto = PROTO_NUMBERS[v] ?? (v === 'all' ? undefined : 'other');
        protoNegated = negated;
        const want = proto;
        if (v === 'all') break;
        conds.push((p: Probe) => {
          const t = want === p.proto ? 'yes' : 'no';
          return negated ? not(t) : t;
        });
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
      case '--ports': {
        const ports = parsePorts(take());
        const p0 = protoNegated ? undefined : proto;
        conds.push((p: Probe) => {
          if (p0 && p0 !== p.proto) return 'no';
          if (!ports) return 'maybe';
          const t = portIn(p.dport, ports) ? 'yes' : 'no';
          return negated ? not(t) : t;
        });
        break;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        const name = take();
        const inbound = a === '-i' || a === '--in-interface';
        conds.push((p: Probe) => {
          if ((p.direction === 'in') !== inbound) return 'maybe';
          if (name !== 'lo') return 'maybe';
          return negated ? 'yes' : 'no';
        });
        break;
      }
      case '--state':
      case '--ctstate': {
        const states = take().split(',');
        conds.push(() => {
          const t = states.includes('NEW') ? 'yes' : 'no';
          return negated ? not(t) : t;
        });
        break;
      }
      case '-s':
      case '--source':
      case '-d':
      case '--destination': {
        const addr = take();
        const any = addr === '0.0.0.0/0' || addr === '::/0';
        conds.push(() => (any ? (negated ? 'no' : 'yes') : 'maybe'));
        break;
      }
      case '-m':
      case '--match': {
        const mod = take();
        // These modules only add the options handled above; any other module may narrow the match.
        if (!['tcp', 'udp', 'multiport', 'state', 'conntrack', 'comment'].includes(mod))
          conds.push(() => 'maybe');
        break;
      }
      case '--comment':
        take();
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const target = take();
        if (target === 'ACCEPT') verdict = { kind: 'accept' };
        else if (target === 'DROP' || target === 'REJECT') verdict = { kind: 'drop' };
        else if (target === 'RETURN') verdict = { kind: 'return' };
        else if (target === 'LOG' || target === 'NFLOG') verdict = { kind: 'none' };
        else if (chainNames.has(target))
          verdict = a === '-g' || a === '--goto' ? { kind: 'goto', target } : { kind: 'jump', target };
        else verdict = { kind: 'unknown', name: target };
        // Options of the target (--reject-with …) follow; they do not change the verdict.
        i = args.length;
        break;
      }
      default:
        // An option we do not know takes a value when the next token is not an option.
        if (a.startsWith('-')) {
          if (value !== '' && !value.startsWith('-') && value !== '!') i++;
          conds.push(() => 'maybe');
        }
    }
  }
  return { conds, verdict, text };
}
