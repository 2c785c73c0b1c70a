// Blocking a pool address on the running system, reversibly: an nftables rule in a table of our own
// (`inet minehunter`), or an iptables/ip6tables rule when nft is missing. Each rule carries a unique
// comment, which is how undo finds exactly that rule and nothing else.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface FirewallRule {
  tool: 'nft' | 'iptables' | 'ip6tables';
  comment: string;
  /** The match part of the rule (after the table/chain), as passed to the tool. */
  spec: string[];
}

const TABLE = ['inet', 'minehunter'];

async function has(cmd: string): Promise<boolean> {
  try {
    await execFileP(cmd, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** The nft and iptables match words for an address and optional TCP port. */
export function ruleSpec(tool: FirewallRule['tool'], address: string, port: number | undefined): string[] {
  const v6 = address.includes(':');
  if (tool === 'nft') {
    return [v6 ? 'ip6' : 'ip', 'daddr', address, ...(port ? ['tcp', 'dport', String(port)] : [])];
  }
  return ['-d', address, ...(port ? ['-p', 'tcp', '--dport', String(port)] : [])];
}

export async function blockAddress(
  address: string,
  port: number | undefined,
  comment: string,
): Promise<FirewallRule> {
  if (await has('nft')) {
    const spec = ruleSpec('nft', address, port);
    await execFileP('nft', ['add', 'table', ...TABLE]);
    await execFileP('nft', [
      'add',
      'chain',
      ...TABLE,
      'output',
      '{',
      'type',
      'filter',
      'hook',
      'output',
      'priority',
      '0',
      ';',
      '}',
    ]);
    await execFileP('nft', ['add', 'rule', ...TABLE, 'output', ...spec, 'drop', 'comment', `"${comment}"`]);
    return { tool: 'nft', comment, spec };
  }
  const tool = address.includes(':') ? 'ip6tables' : 'iptables';
  if (!(await has(tool))) throw new Error('neither nft nor iptables is installed: cannot block addresses');
  const spec = ruleSpec(tool, address, port);
  await execFileP(tool, ['-I', 'OUTPUT', ...spec, '-m', 'comment', '--comment', comment, '-j', 'DROP']);
  return { tool, comment, spec };
}

export async function unblock(rule: FirewallRule): Promise<void> {
  if (rule.tool === 'nft') {
    const { stdout } = await execFileP('nft', ['-a', 'list', 'chain', ...TABLE, 'output']);
    const line = stdout.split('\n').find((l) => l.includes(`comment "${rule.comment}"`));
    const handle = line ? /# handle (\d+)/.exec(line)?.[1] : undefined;
    if (!handle) throw new Error(`the nft rule "${rule.comment}" is no longer there`);
    await execFileP('nft', ['delete', 'rule', ...TABLE, 'output', 'handle', handle]);
    return;
  }
  await execFileP(rule.tool, [
    '-D',
    'OUTPUT',
    ...rule.spec,
    '-m',
    'comment',
    '--comment',
    rule.comment,
    '-j',
    'DROP',
  ]);
}
