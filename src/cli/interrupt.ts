// Ctrl-C during a scan: the first one stops collecting (the scan then analyses and prints what it
// found so far, marked incomplete), a second one quits at once. Only cli/ decides how the process ends.
import type { Lang } from '../model/finding.js';
import { EXIT } from './errors.js';

export interface Interrupt {
  /** Fires on the first Ctrl-C. */
  readonly signal: AbortSignal;
  /** Puts SIGINT back to its default: the scan is over. */
  dispose(): void;
}

const STOPPING = {
  en: 'interrupted: finishing the files in hand, then printing what was found so far (Ctrl-C again to quit at once)',
  'zh-CN': '已中断：处理完手头的文件后输出目前的发现（再按一次 Ctrl-C 立即退出）',
};

/** Listens for SIGINT until disposed; `out` is where the notice goes (standard error). */
export function onInterrupt(lang: Lang, out: { write(s: string): unknown } = process.stderr): Interrupt {
  const controller = new AbortController();
  const handler = (): void => {
    if (controller.signal.aborted) {
      // The second Ctrl-C: the person wants out now; worker threads end with the process.
      process.exit(EXIT.interrupted);
    }
    out.write(`\nminehunter: ${STOPPING[lang]}\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
    },
  };
}
