// One model of a packet filter that both `nft -j list ruleset` and `iptables-save` are translated
// into, so a single evaluator answers "is TCP 445 dropped inbound?" whichever tool wrote the rules.

/** The packet the audit asks about: a new connection arriving on (or leaving through) a real interface. */
export interface Probe {
  family: 'ip' | 'ip6';
  proto: 'tcp' | 'udp';
  dport: number;
  direction: 'in' | 'out';
}

/** Three-valued: a condition we cannot decide (a source address, a rate limit) is `maybe`. */
export type Tri = 'yes' | 'no' | 'maybe';

export type Cond = (p: Probe) => Tri;

export type Verdict =
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'jump'; target: string }
  | { kind: 'goto'; target: string }
  | { kind: 'return' }
  /** No verdict: counters, logs; evaluation continues with the next rule. */
  | { kind: 'none' }
  /** A verdict we cannot interpret (queue, an unknown iptables target): it might let the packet through. */
  | { kind: 'unknown'; name: string };

export interface Rule {
  conds: Cond[];
  verdict: Verdict;
  /** The rule as its tool would print it, for evidence. */
  text: string;
}

export interface Chain {
  /** Unique across the whole ruleset: `nft inet filter input`, `iptables filter INPUT`. */
  id: string;
  /** The chain's own name, which jump and goto refer to within its table. */
  name: string;
  /** Families the chain sees: an nft `inet` table sees both. */
  families: Array<'ip' | 'ip6'>;
  /** Set on base chains: where the kernel calls it. */
  hook?: 'input' | 'output' | 'forward' | 'other';
  /** Only filter chains filter; nat/route chains are ignored for blocking. */
  filter: boolean;
  policy?: 'accept' | 'drop';
  priority: number;
  rules: Rule[];
  /** Regular chains a rule may jump to, by their name in the same table. */
  table: string;
}

export interface FilterModel {
  chains: Chain[];
  /** Where the model came from, e.g. `nft`, `iptables-save (legacy)`. */
  sources: string[];
}

export const PROTO_NUMBERS: Record<string, 'tcp' | 'udp'> = {
  '6': 'tcp',
  '17': 'udp',
  tcp: 'tcp',
  udp: 'udp',
};

export function not(t: Tri): Tri {
  return t === 'yes' ? 'no' : t === 'no' ? 'yes' : 'maybe';
}

/** A port against a list of ports and inclusive ranges. */
export function portIn(port: number, items: Array<number | [number, number]>): boolean {
  return items.some((i) => (typeof i === 'number' ? i === port : port >= i[0] && port <= i[1]));
}
