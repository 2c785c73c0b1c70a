// A Chrome DevTools Protocol session tree over Playwright's CDPSession. Playwright's session cannot
// address the targets a page starts (workers, out-of-process frames), and Playwright resumes a new
// worker at once, before an init script could be put into it. Auto-attaching in the older
// non-flattened mode gives each such target a session of ours that is reached through
// Target.sendMessageToTarget, so the WebAssembly hook and the network listeners are in place
// before the worker's first line runs (Chromium waits for every client that asked it to).
import type { CDPSession } from 'playwright-core';

// CDP events and results are JSON the protocol documents; each caller reads the fields it needs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Params = any;
type Listener = (params: Params) => void;

/** A command to a target that went away (or never answers) fails after this long, not never. */
const CHILD_TIMEOUT_MS = 5_000;

export interface AttachedTarget {
  session: CdpSession;
  type: string;
  url: string;
  waitingForDebugger: boolean;
}

export class CdpSession {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly children = new Map<string, CdpSession>();
  private readonly pending = new Map<number, { resolve: Listener; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly transport: (method: string, params: object) => Promise<Params>,
    private readonly subscribe: ((event: string, fn: Listener) => void) | undefined,
  ) {
    this.on('Target.receivedMessageFromTarget', (e: { sessionId: string; message: string }) =>
      this.children.get(e.sessionId)?.receive(e.message),
    );
    this.on('Target.detachedFromTarget', (e: { sessionId: string }) => {
      this.children.get(e.sessionId)?.close();
      this.children.delete(e.sessionId);
    });
  }

  /** The session of a page, as Playwright opens it. */
  static root(session: CDPSession): CdpSession {
    const s = session as unknown as {
      send(method: string, params?: object): Promise<Params>;
      on(event: string, fn: Listener): void;
    };
    return new CdpSession(
      (method, params) => s.send(method, params),
      (event, fn) => s.on(event, fn),
    );
  }

  send<T = Params>(method: string, params: object = {}): Promise<T> {
    return this.transport(method, params) as Promise<T>;
  }

  /** Like send, but a failure (target gone, domain missing) is ignored: observation is best effort. */
  trySend<T = Params>(method: string, params: object = {}): Promise<T | undefined> {
    return this.send<T>(method, params).catch(() => undefined);
  }

  on(event: string, fn: Listener): void {
    const list = this.listeners.get(event);
    if (list) list.push(fn);
    else {
      this.listeners.set(event, [fn]);
      // A root session hears events from Playwright, one subscription per event name.
      this.subscribe?.(event, (p) => this.emit(event, p));
    }
  }

  /**
   * Calls `fn` for every target this one starts (workers, frames in other processes), with a
   * session to it; the target waits for `fn` to finish and is then resumed.
   */
  async autoAttach(fn: (t: AttachedTarget) => Promise<void>): Promise<void> {
    this.on(
      'Target.attachedToTarget',
      (e: { sessionId: string; targetInfo: { type: string; url: string }; waitingForDebugger: boolean }) => {
        const child = this.child(e.sessionId);
        const target = {
          session: child,
          type: e.targetInfo.type,
          url: e.targetInfo.url,
          waitingForDebugger: e.waitingForDebugger,
        };
        void fn(target)
          .catch(() => undefined)
          .finally(() => {
            if (e.waitingForDebugger) void child.trySend('Runtime.runIfWaitingForDebugger');
          });
      },
    );
    await this.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: true,
      flatten: false,
    });
  }

  private child(sessionId: string): CdpSession {
    // The transport needs the child it belongs to (its ids and pending answers), made just below.
    const self: { child?: CdpSession } = {};
    const transport = (method: string, params: object): Promise<Params> => {
      const c = self.child;
      if (!c || c.closed) return Promise.reject(new Error(`target closed (${method})`));
      const id = c.nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          c.pending.delete(id);
          reject(new Error(`no answer to ${method}`));
        }, CHILD_TIMEOUT_MS);
        c.pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
        this.send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id, method, params }),
        }).catch((err: Error) => c.pending.get(id)?.reject(err));
      });
    };
    const child = new CdpSession(transport, undefined);
    self.child = child;
    this.children.set(sessionId, child);
    return child;
  }

  private receive(message: string): void {
    let m: { id?: number; method?: string; params?: Params; result?: Params; error?: { message: string } };
    try {
      m = JSON.parse(message);
    } catch {
      return;
    }
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
    } else if (m.method) this.emit(m.method, m.params);
  }

  private emit(event: string, params: Params): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        fn(params);
      } catch {
        // One listener's mistake must not stop the others from recording.
      }
    }
  }

  private close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('target closed'));
    this.pending.clear();
    for (const c of this.children.values()) c.close();
    this.children.clear();
  }
}
