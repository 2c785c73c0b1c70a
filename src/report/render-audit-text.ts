// Renders the audit report for a person at a terminal: the score, then every check in priority order
// (failures first, worst first) with its evidence and the fix command; passes take one line each.
import { createColors } from 'picocolors';
import type { Lang } from '../model/finding.js';
import { levelName } from './i18n.js';
import { renderEvidence } from './render-text.js';
import { inertForTerminal as safe } from './sanitize.js';
import type { AuditReport, CheckResult } from '../audit/run.js';
import type { CheckStatus } from '../audit/types.js';

const WORDS = {
  title: {
    en: 'minehunter {version}: prevention audit of {host}',
    'zh-CN': 'minehunter {version}：{host} 的防护审计',
  },
  score: {
    en: 'Score {value}/100 · {fail} failed · {unknown} unknown · {pass} passed',
    'zh-CN': '得分 {value}/100 · 不通过 {fail} · 未知 {unknown} · 通过 {pass}',
  },
  loginOff: {
    en: 'Login tests were turned off (--no-login-tests).',
    'zh-CN': '登录测试已关闭（--no-login-tests）。',
  },
  loginNotRun: {
    en: 'No login tests ran (an offline root, or no credential check was asked for).',
    'zh-CN': '未进行登录测试（离线目录，或未要求凭据检查）。',
  },
  distro: {
    en: 'Distribution {distro} · package manager {manager}',
    'zh-CN': '发行版 {distro} · 包管理器 {manager}',
  },
  noManager: { en: 'none found', 'zh-CN': '未发现' },
  like: { en: 'like {ids}', 'zh-CN': '同系 {ids}' },
  fix: { en: 'Fix', 'zh-CN': '修复' },
  evidence: { en: 'Evidence', 'zh-CN': '证据' },
  passed: { en: 'Passed', 'zh-CN': '已通过' },
  otherSystem: {
    en: '{count} checks for Linux hosts do not apply to a Windows volume (listed in --format json).',
    'zh-CN': '{count} 项针对 Linux 主机的检查不适用于 Windows 卷（见 --format json）。',
  },
  'status.fail': { en: 'FAIL', 'zh-CN': '不通过' },
  'status.unknown': { en: 'UNKNOWN', 'zh-CN': '未知' },
  'status.pass': { en: 'PASS', 'zh-CN': '通过' },
  problems: { en: 'Collection problems', 'zh-CN': '采集问题' },
} as const;

function w(lang: Lang, key: keyof typeof WORDS, params: Record<string, string | number> = {}): string {
  return WORDS[key][lang].replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export function renderAuditText(report: AuditReport, opts: { lang: Lang; color: boolean }): string {
  const c = createColors(opts.color);
  const { lang } = opts;
  const paint = (s: CheckStatus) => (s === 'fail' ? c.red : s === 'unknown' ? c.yellow : c.green);
  const out: string[] = [];
  out.push(
    c.bold(
      w(lang, 'title', {
        version: report.tool.version,
        host: safe(report.host.hostname ?? report.target.root),
      }),
    ),
  );
  const distro = distroLine(report, lang);
  if (distro) out.push(c.dim(distro));
  out.push(c.bold(w(lang, 'score', { ...report.score })));
  if (report.loginTests === 'off') out.push(c.dim(w(lang, 'loginOff')));
  if (report.loginTests === 'not-run') out.push(c.dim(w(lang, 'loginNotRun')));
  out.push('');
  const detailed = report.checks.filter((r) => r.status !== 'pass');
  for (const r of detailed) out.push(renderCheck(r, lang, c, paint), '');
  const passed = report.checks.filter((r) => r.status === 'pass');
  // Checks of another system (a Linux check on a Windows volume) are one line, not a list of passes.
  const otherSystem = passed.filter((r) => !r.applicable && report.target.kind === 'windows-volume');
  const shown = passed.filter((r) => !otherSystem.includes(r));
  if (shown.length) {
    out.push(c.bold(`${w(lang, 'passed')} (${shown.length})`));
    for (const r of shown)
      out.push(`  ${c.green('✓')} ${r.title[lang]} ${c.dim(`${r.id} — ${safe(r.message[lang])}`)}`);
    out.push('');
  }
  if (otherSystem.length) out.push(c.dim(w(lang, 'otherSystem', { count: otherSystem.length })), '');
  const problems = report.collection.filter((r) => r.status === 'failed' || r.status === 'partial');
  if (problems.length) {
    out.push(c.bold(w(lang, 'problems')));
    for (const r of problems)
      out.push(`  ${c.yellow(r.status)} ${r.collector}${r.note ? ` — ${safe(r.note)}` : ''}`);
    out.push('');
  }
  out.push(c.bold(w(lang, 'score', { ...report.score })));
  return out.join('\n') + '\n';
}

/**
 * The distribution and its package manager (issue 23): checks that apply per family (SELinux, the
 * package checks) say why they ran or did not, and this line shows what they went by.
 */
function distroLine(report: AuditReport, lang: Lang): string | undefined {
  const d = report.host.distribution;
  if (!d) return undefined;
  const named = [d.name ?? d.id ?? '?', d.version].filter(Boolean).join(' ');
  const details = [
    d.name && d.id ? d.id : undefined,
    d.idLike?.length ? w(lang, 'like', { ids: d.idLike.join(' ') }) : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return w(lang, 'distro', {
    distro: safe(details ? `${named} (${details})` : named),
    manager: d.packageManager ?? w(lang, 'noManager'),
  });
}

function renderCheck(
  r: CheckResult,
  lang: Lang,
  c: ReturnType<typeof createColors>,
  paint: (s: CheckStatus) => (x: string) => string,
): string {
  const lines = [
    `${paint(r.status)(c.bold(`[${w(lang, `status.${r.status}`)}]`))} ${c.bold(r.title[lang])} ${c.dim(`${levelName(lang, r.level)} · ${r.id}`)}`,
    `    ${safe(r.message[lang])}`,
  ];
  if (r.evidence.length) {
    lines.push(`    ${c.underline(w(lang, 'evidence'))}`);
    for (const e of r.evidence.slice(0, 12)) lines.push(...renderEvidence(e, lang).map((l) => `      ${l}`));
    if (r.evidence.length > 12) lines.push(`      (+${r.evidence.length - 12})`);
  }
  if (r.status === 'fail') {
    lines.push(`    ${c.underline(w(lang, 'fix'))}: ${r.fix.text[lang]}`);
    lines.push(`      ${c.cyan(`$ ${safe(r.fix.command)}`)}`);
  }
  return lines.join('\n');
}
