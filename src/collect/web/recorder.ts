// Records one page check from the CDP sessions of the page and of every target it starts: the
// documents and scripts it loads (their bodies hashed and scanned as they arrive, while a worker
// that loaded one still exists to answer), its WebSockets and their first frames, the WebAssembly
// modules the hook reports, and its workers. Every list is bounded: a hostile page cannot make the
// check hold its whole traffic in memory.
import { createHash } from 'node:crypto';
import type {
  BlockedRequest,
  LoadedScript,
  PageObservation,
  WasmModuleSeen,
  WebScope,
  WebSocketSeen,
  WorkerSeen,
} from '../../detect/web-live.js';
import type { AttachedTarget, CdpSession } from './cdp.js';
import { hookReport, wasmHookSource } from './hook.js';
import type { WebRuleScanner } from './rules.js';
import { wasmNames } from './wasm.js';

const LIMITS = {
  scripts: 300,
  sockets: 50,
  /** Frames kept per socket and direction; the counts go on. */
  frames: 40,
  frameChars: 4096,
  wasm: 50,
  workers: 100,
  blocked: 200,
  /** A script above this is scanned in its first part only (and said so). */
  scanBytes: 16 * 1024 * 1024,
};

/** Resource types whose bodies are scanned; the rest (images, styles, XHR data) are only counted. */
const SCANNED = new Set(['Document', 'Script']);

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface RequestInfo {
  url: string;
  type: string;
  status?: number;
}

export class PageRecorder {
  readonly scripts: LoadedScript[] = [];
  readonly sockets = new Map<string, WebSocketSeen>();
  readonly wasm = new Map<string, WasmModuleSeen>();
  readonly workers: WorkerSeen[] = [];
  readonly blocked: BlockedRequest[] = [];
  readonly truncated = new Set<string>();
  requests = 0;
  /** Numbers the sessions: request ids are only unique within one target. */
  private sessions = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly t0 = performance.now();

  constructor(
    private readonly rules: WebRuleScanner,
    private readonly marker: string,
  ) {}

  elapsed(): number {
    return Math.round(performance.now() - this.t0);
  }

  /**
   * Listens on a session; call before the target runs (the page before navigating, a worker while
   * it waits). The commands go out together: one that needs the target's JavaScript thread (the
   * hook's evaluation in a busy worker) must not hold back the others, which the inspector answers
   * between two instructions.
   */
  async attach(session: CdpSession, scope: WebScope, setup: Promise<unknown>[] = []): Promise<void> {
    this.listenNetwork(session, scope);
    this.listenSockets(session, scope);
    session.on('Runtime.consoleAPICalled', (e: { type: string; args: { value?: unknown }[] }) => {
      if (e.type !== 'debug') return;
      const r = hookReport(this.marker, e.args);
      if (r) this.addWasm(Buffer.from(r.data, 'base64'), { ...r, scope });
    });
    await Promise.all([
      ...setup,
      // Bodies of up to 16 MiB stay available until read (Chromium's defaults evict sooner).
      session.trySend('Network.enable', {
        maxTotalBufferSize: 64 * 1024 * 1024,
        maxResourceBufferSize: LIMITS.scanBytes,
      }),
      session.trySend('Runtime.enable'),
      session.autoAttach((t) => this.onTarget(t)).catch(() => undefined),
    ]);
  }

  private async onTarget(t: AttachedTarget): Promise<void> {
    const hook = wasmHookSource(this.marker);
    if (/worker/.test(t.type)) {
      if (this.workers.length < LIMITS.workers) this.workers.push({ url: t.url, type: t.type });
      else this.truncated.add('workers');
      this.listenWorkerCode(t.session, t.url, hook);
      await this.attach(t.session, 'worker', [
        // Playwright resumes a new worker at once, so the hook may land after its first lines;
        // the debugger's list of compiled scripts and modules below does not depend on timing.
        t.session.trySend('Runtime.evaluate', { expression: hook }),
        t.session.trySend('Debugger.enable').then(() =>
          // A `debugger;` statement must not freeze the worker being measured.
          t.session.trySend('Debugger.setSkipAllPauses', { skip: true }),
        ),
      ]);
    } else if (t.type === 'iframe') {
      await this.attach(t.session, 'frame', [
        t.session.trySend('Page.enable'),
        t.session.trySend('Page.addScriptToEvaluateOnNewDocument', { source: hook }),
      ]);
    }
  }

  /**
   * A worker's code as its debugger lists it: every script it ran (its main script, imported
   * scripts, code it evaluated) and every WebAssembly module it compiled, also those from before
   * the session caught up with it (Debugger.enable reports what was parsed already).
   */
  private listenWorkerCode(session: CdpSession, workerUrl: string, hook: string): void {
    session.on('Debugger.scriptParsed', (e: { scriptId: string; url: string; scriptLanguage?: string }) => {
      const wasm = e.scriptLanguage === 'WebAssembly';
      if (!wasm && this.scripts.length >= LIMITS.scripts) {
        this.truncated.add('scripts');
        return;
      }
      this.track(
        session
          .send<{ scriptSource?: string; bytecode?: string }>('Debugger.getScriptSource', {
            scriptId: e.scriptId,
          })
          .then((r) => {
            if (wasm && r.bytecode)
              this.addWasm(Buffer.from(r.bytecode, 'base64'), { via: 'debugger', scope: 'worker' });
            else if (!wasm && r.scriptSource !== undefined && r.scriptSource !== hook)
              this.addScript(
                {
                  url: e.url || `${workerUrl} (evaluated code)`,
                  type: 'script',
                  scope: 'worker',
                  matches: [],
                  size: 0,
                },
                Buffer.from(r.scriptSource, 'utf8'),
              );
          }),
      );
    });
  }

  private listenNetwork(session: CdpSession, scope: WebScope): void {
    const requests = new Map<string, RequestInfo>();
    session.on(
      'Network.requestWillBeSent',
      (e: { requestId: string; type?: string; request: { url: string } }) => {
        this.requests++;
        requests.set(e.requestId, { url: e.request.url, type: e.type ?? 'Other' });
      },
    );
    session.on(
      'Network.responseReceived',
      (e: { requestId: string; type: string; response: { url: string; status: number } }) => {
        const r = requests.get(e.requestId) ?? { url: e.response.url, type: e.type };
        r.status = e.response.status;
        r.type = e.type;
        requests.set(e.requestId, r);
      },
    );
    session.on('Network.loadingFinished', (e: { requestId: string }) => {
      const r = requests.get(e.requestId);
      if (!r || !SCANNED.has(r.type)) return;
      this.track(this.readBody(session, e.requestId, r, scope));
    });
  }

  private async readBody(
    session: CdpSession,
    requestId: string,
    r: RequestInfo,
    scope: WebScope,
  ): Promise<void> {
    if (this.scripts.length >= LIMITS.scripts) {
      this.truncated.add('scripts');
      return;
    }
    const entry: LoadedScript = {
      url: r.url,
      type: r.type === 'Document' ? 'document' : 'script',
      scope,
      size: 0,
      matches: [],
    };
    if (r.status !== undefined) entry.status = r.status;
    const body = await session.trySend<{ body: string; base64Encoded: boolean }>('Network.getResponseBody', {
      requestId,
    });
    if (!body) {
      entry.note = 'body not available';
      this.scripts.push(entry);
      return;
    }
    this.addScript(entry, Buffer.from(body.body, body.base64Encoded ? 'base64' : 'utf8'));
  }

  /** Hashes and scans one script or document; the same bytes at the same URL are listed once. */
  private addScript(entry: LoadedScript, bytes: Buffer): void {
    entry.size = bytes.length;
    entry.sha256 = sha256(bytes);
    if (this.scripts.some((s) => s.url === entry.url && s.sha256 === entry.sha256)) return;
    if (this.scripts.length >= LIMITS.scripts) {
      this.truncated.add('scripts');
      return;
    }
    this.scripts.push(entry);
    const part = bytes.length > LIMITS.scanBytes ? bytes.subarray(0, LIMITS.scanBytes) : bytes;
    if (part !== bytes) entry.note = `scanned the first ${LIMITS.scanBytes} bytes`;
    try {
      entry.matches = this.rules.scanScript(part, entry.type === 'document' ? 'html' : 'js');
    } catch (err) {
      entry.note = `not scanned: ${(err as Error).message}`;
    }
  }

  private listenSockets(session: CdpSession, scope: WebScope): void {
    const sid = ++this.sessions;
    const socket = (requestId: string): WebSocketSeen | undefined => this.sockets.get(`${sid}:${requestId}`);
    session.on('Network.webSocketCreated', (e: { requestId: string; url: string }) => {
      if (this.sockets.size >= LIMITS.sockets) {
        this.truncated.add('sockets');
        return;
      }
      this.sockets.set(`${sid}:${e.requestId}`, { url: e.url, scope, frames: [], sent: 0, received: 0 });
    });
    session.on(
      'Network.webSocketHandshakeResponseReceived',
      (e: { requestId: string; response: { status: number } }) => {
        const s = socket(e.requestId);
        if (s) s.status = e.response.status;
      },
    );
    session.on('Network.webSocketFrameError', (e: { requestId: string; errorMessage: string }) => {
      const s = socket(e.requestId);
      if (s) s.error = e.errorMessage;
    });
    const frame =
      (dir: 'sent' | 'received') =>
      (e: { requestId: string; response: { opcode: number; payloadData: string } }) => {
        const s = socket(e.requestId);
        if (!s) return;
        const n = dir === 'sent' ? ++s.sent : ++s.received;
        if (n > LIMITS.frames) {
          this.truncated.add('frames');
          return;
        }
        const text = e.response.payloadData;
        s.frames.push({
          dir,
          opcode: e.response.opcode,
          text: text.length > LIMITS.frameChars ? text.slice(0, LIMITS.frameChars) : text,
          size: text.length,
          atMs: this.elapsed(),
        });
      };
    session.on('Network.webSocketFrameSent', frame('sent'));
    session.on('Network.webSocketFrameReceived', frame('received'));
  }

  private addWasm(
    bytes: Buffer,
    info: { via: string; scope: WebScope; size?: number; partial?: boolean; url?: string },
  ): void {
    const hash = sha256(bytes);
    if (this.wasm.has(hash)) return;
    if (this.wasm.size >= LIMITS.wasm) {
      this.truncated.add('wasm');
      return;
    }
    const names = wasmNames(bytes);
    const seen: WasmModuleSeen = {
      sha256: hash,
      size: info.size || bytes.length,
      via: info.via,
      scope: info.scope,
      exports: names.exports,
      imports: names.imports,
      matches: [],
    };
    if (info.url) seen.url = info.url;
    if (info.partial) seen.partial = true;
    try {
      seen.matches = this.rules.scanWasm(bytes);
    } catch {
      // The module is still listed with its hash; the engine's failure is not a verdict.
    }
    this.wasm.set(hash, seen);
  }

  /** A request the gate refused while this page was being checked. */
  refused(url: string, by: BlockedRequest['by']): void {
    if (this.blocked.length < LIMITS.blocked) this.blocked.push({ url, by, atMs: this.elapsed() });
    else this.truncated.add('blocked');
  }

  private track(p: Promise<void>): void {
    const done = p.catch(() => undefined).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Waits for bodies still being read and scanned, at most until `deadline` (performance.now()). */
  async settle(deadline: number): Promise<void> {
    while (this.pending.size > 0 && performance.now() < deadline) {
      const left = deadline - performance.now();
      await Promise.race([Promise.all([...this.pending]), new Promise((r) => setTimeout(r, left))]);
    }
    if (this.pending.size > 0) this.truncated.add('scripts');
  }

  /** The observation so far; the driver adds what it measured itself (load, CPU, title). */
  observation(
    base: Omit<PageObservation, 'scripts' | 'sockets' | 'wasm' | 'workers' | 'blocked' | 'requests'>,
  ): PageObservation {
    const obs: PageObservation = {
      ...base,
      requests: this.requests,
      scripts: [...this.scripts],
      sockets: [...this.sockets.values()],
      wasm: [...this.wasm.values()],
      workers: [...this.workers],
      blocked: [...this.blocked],
    };
    if (this.truncated.size > 0) obs.truncated = [...this.truncated].sort();
    return obs;
  }
}
