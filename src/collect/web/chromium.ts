// Which Chromium the live page check drives, and how it is started. minehunter never downloads a
// browser: it uses the distribution's package (Debian's `chromium`), or the one --browser names.
// Debian's /usr/bin/chromium is a shell wrapper that exports Google API keys and turns on remote
// extensions (/etc/chromium.d/), both of which make the browser call Google's services on its own;
// the program it runs, /usr/lib/chromium/chromium, is started directly instead.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Localized } from '../../model/finding.js';

/** Debian's wrapper script. */
const DEBIAN_WRAPPER = '/usr/bin/chromium';
/** Where distributions install Chromium, in the order tried. */
const CANDIDATES = [DEBIAN_WRAPPER, '/usr/bin/chromium-browser', '/snap/bin/chromium'];
/** The binary Debian's wrapper script runs. */
const DEBIAN_BINARY = '/usr/lib/chromium/chromium';

/**
 * Flags for a check that leaves nothing behind and stays quiet: no GPU, no QUIC (so every request
 * goes through the gate's TCP proxy), no first-run, sync, component updates or background requests.
 * Headless mode and a fresh temporary profile come from the launcher (Playwright).
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--no-pings',
  // WebRTC could reach other hosts over UDP, around the proxy.
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
];

/** Environment variables that turn on Google's services in Chromium builds (Debian sets them). */
export const GOOGLE_ENV = ['GOOGLE_API_KEY', 'GOOGLE_DEFAULT_CLIENT_ID', 'GOOGLE_DEFAULT_CLIENT_SECRET'];

export class BrowserMissingError extends Error {
  readonly localized: Localized;
  constructor(tried: string[]) {
    const list = tried.join(', ');
    const en =
      `Chromium was not found (looked for ${list}). \`minehunter web\` drives a headless Chromium ` +
      'and never downloads one: install it with `apt-get install chromium` (Debian, Ubuntu: ' +
      '`apt-get install chromium-browser`), or name a Chromium binary with --browser PATH.';
    super(en);
    this.name = 'BrowserMissingError';
    this.localized = {
      en,
      'zh-CN':
        `未找到 Chromium（已查找 ${list}）。\`minehunter web\` 需要无头模式的 Chromium，且不会自行下载：` +
        '请用 `apt-get install chromium` 安装（Ubuntu 为 `apt-get install chromium-browser`），' +
        '或用 --browser 路径 指定 Chromium 可执行文件。',
    };
  }
}

function isExecutableFile(p: string): boolean {
  try {
    return statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** True for a shell script (Debian's wrapper), which starts with "#!". */
function isScript(p: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(p, 'r');
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    return head.toString('latin1') === '#!';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The Chromium binary to start: `explicit` (--browser) or $MINEHUNTER_CHROMIUM when given, else the
 * first distribution path found; Debian's wrapper is replaced by the binary it runs.
 */
export function findChromium(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const named = explicit ?? env.MINEHUNTER_CHROMIUM;
  const tried = named ? [named] : CANDIDATES;
  const found = tried.find(isExecutableFile);
  if (!found) throw new BrowserMissingError(tried);
  if (
    found === DEBIAN_WRAPPER &&
    isScript(found) &&
    existsSync(DEBIAN_BINARY) &&
    isExecutableFile(DEBIAN_BINARY)
  )
    return DEBIAN_BINARY;
  return found;
}
