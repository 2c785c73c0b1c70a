// The `minehunter ack FINGERPRINT…` command: acknowledges findings a watcher has raised, so it stops
// announcing their repeats; a material change of a finding's evidence raises it again. It appends to
// the acks file beside the watch state's name, which a running watcher reads when it changes (the
// state itself, a row of the scan cache's database, is the watcher's alone: ack only reads it).
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { Lang, Localized } from '../model/finding.js';
import { acksFileOf } from '../pipeline/watch-state.js';
import { openStateStore } from '../pipeline/watch-store.js';
import { defaultCachePath } from '../util/paths.js';
import { EXIT, UsageError } from './errors.js';
import { defaultWatchStatePath } from './watch.js';

const HELP = {
  ack: {
    en: 'acknowledge findings raised by watch: no more repeats until their evidence changes',
    'zh-CN': '确认 watch 报告的发现：在其证据变化之前不再重复告警',
  },
  fingerprint: { en: 'fingerprint of the finding (from the alert)', 'zh-CN': '发现的指纹（见告警）' },
  state: {
    en: "the watcher's --state (default $XDG_STATE_HOME/minehunter/watch-state.json)",
    'zh-CN': '监视程序的 --state（默认 $XDG_STATE_HOME/minehunter/watch-state.json）',
  },
  after: {
    en: `
The fingerprint is in every alert ("fingerprint":"…" in the JSON line, fingerprint="…" in the syslog
structured data, cs1 in CEF). A running watcher picks the acknowledgement up within one interval.
An acknowledged finding still counts its sightings and is still resolved when it goes away; if its
program, command line, file or pool changes, it is raised again. To silence a finding for good, add
it to the allowlist instead.

Examples:
  minehunter ack 9078f9b8f5a2edb9
  minehunter ack 9078f9b8f5a2edb9 080b673e965b727e --state /var/lib/minehunter/watch-state.json`,
    'zh-CN': `
指纹见每条告警（JSON 行中的 "fingerprint":"…"，syslog 结构化数据中的 fingerprint="…"，CEF 中的 cs1）。
正在运行的监视程序会在一个检查间隔内读取确认。已确认的发现仍会统计出现次数，消失时仍会报告已解决；
如果其程序、命令行、文件或矿池发生变化，会再次告警。若要永久忽略某个发现，请将其加入白名单。

示例：
  minehunter ack 9078f9b8f5a2edb9
  minehunter ack 9078f9b8f5a2edb9 080b673e965b727e --state /var/lib/minehunter/watch-state.json`,
  },
  done: { en: 'acknowledged {fp} ({rule})', 'zh-CN': '已确认 {fp}（{rule}）' },
} satisfies Record<string, Localized>;

export function registerAckCommand(program: Command, lang: Lang, setExit: (code: number) => void): void {
  const h = (k: keyof typeof HELP) => HELP[k][lang];
  program
    .command('ack')
    .description(h('ack'))
    .argument('<fingerprint...>', h('fingerprint'))
    .option('--state <file>', h('state'))
    .addHelpText('after', h('after'))
    .action(async (fingerprints: string[], opts: { state?: string }) => {
      setExit(await ack(fingerprints, path.resolve(opts.state ?? defaultWatchStatePath()), lang));
    });
}

async function ack(fingerprints: string[], stateFile: string, lang: Lang): Promise<number> {
  let problem: string | undefined;
  const store = openStateStore({
    database: defaultCachePath(),
    name: stateFile,
    readOnly: true,
    note: (t) => (problem ??= t),
  });
  const state = (() => {
    try {
      if (!store.known()) throw new UsageError(`no watch state named ${stateFile} (name it with --state)`);
      return store.load();
    } finally {
      store.close();
    }
  })();
  if (problem) throw new UsageError(problem);
  const unknown = fingerprints.filter((fp) => !state.findings[fp]);
  if (unknown.length > 0)
    throw new UsageError(
      `${unknown.join(', ')}: not a finding the watcher of ${stateFile} knows ` +
        `(${Object.keys(state.findings).length} known; a resolved finding is forgotten)`,
    );
  const at = new Date().toISOString();
  // One appended line per ack: a watcher reading the file meanwhile sees whole lines only.
  await appendFile(
    acksFileOf(stateFile),
    fingerprints.map((fp) => JSON.stringify({ fingerprint: fp, at }) + '\n').join(''),
    {
      mode: 0o600,
    },
  );
  for (const fp of fingerprints)
    process.stdout.write(
      HELP.done[lang].replace('{fp}', fp).replace('{rule}', state.findings[fp]!.ruleId) + '\n',
    );
  return EXIT.clean;
}
