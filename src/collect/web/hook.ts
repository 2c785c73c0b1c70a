// The script put into the page (and into every worker before its first line) that reports each
// WebAssembly module the page compiles: WebAssembly.compile, instantiate, compileStreaming,
// instantiateStreaming and `new WebAssembly.Module`. A browser miner's hashing core arrives in one
// of those, often built from base64 in a blob worker, so the network alone does not see it. The
// bytes go to the driver through console.debug under a per-run marker (the original console.debug,
// taken before any page script runs), where the CDP Runtime domain hands them over; the page's own
// code keeps working as before: every wrapper calls the original with the same arguments.

/** Modules above this size are handed over cut to it (and marked so). */
export const WASM_REPORT_MAX_BYTES = 16 * 1024 * 1024;

/** The hook's source, for Page.addScriptToEvaluateOnNewDocument and Runtime.evaluate in workers. */
export function wasmHookSource(marker: string): string {
  return `(() => {
  const G = globalThis;
  if (!G.WebAssembly || G[${JSON.stringify(marker)}]) return;
  Object.defineProperty(G, ${JSON.stringify(marker)}, { value: true });
  const W = G.WebAssembly;
  const report = G.console.debug.bind(G.console);
  const encode = G.btoa.bind(G);
  const orig = {
    compile: W.compile, instantiate: W.instantiate, compileStreaming: W.compileStreaming,
    instantiateStreaming: W.instantiateStreaming, Module: W.Module,
  };
  const MAX = ${WASM_REPORT_MAX_BYTES};
  const bytesOf = (src) => {
    if (src instanceof ArrayBuffer) return new Uint8Array(src);
    if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    return undefined;
  };
  const send = (via, src, url) => {
    try {
      const all = bytesOf(src);
      if (!all) return;
      const u8 = all.length > MAX ? all.subarray(0, MAX) : all;
      let s = '';
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
      report(${JSON.stringify(marker)}, JSON.stringify({ via, url, size: all.length, partial: all.length > MAX, data: encode(s) }));
    } catch (e) {}
  };
  W.compile = function compile(src, ...rest) { send('compile', src); return orig.compile.call(this, src, ...rest); };
  W.instantiate = function instantiate(src, ...rest) {
    // A Module object was reported when it was compiled (here or in the page that posted it).
    if (!(src instanceof orig.Module)) send('instantiate', src);
    return orig.instantiate.call(this, src, ...rest);
  };
  const streaming = (name) => function (source, ...rest) {
    const seen = Promise.resolve(source).then((r) => {
      try { r.clone().arrayBuffer().then((b) => send(name, b, r.url), () => {}); } catch (e) {}
      return r;
    });
    return orig[name].call(this, seen, ...rest);
  };
  if (orig.compileStreaming) W.compileStreaming = streaming('compileStreaming');
  if (orig.instantiateStreaming) W.instantiateStreaming = streaming('instantiateStreaming');
  const Module = function Module(src, ...rest) {
    if (!new.target) return orig.Module(src, ...rest);
    send('Module', src);
    return Reflect.construct(orig.Module, [src, ...rest], new.target);
  };
  Module.prototype = orig.Module.prototype;
  Object.setPrototypeOf(Module, orig.Module);
  W.Module = Module;
})();`;
}

/** One module as the hook reports it. */
export interface HookReport {
  via: string;
  url?: string;
  size: number;
  partial: boolean;
  data: string;
}

/** The report in a console.debug call's arguments, or undefined for any other console message. */
export function hookReport(marker: string, args: { value?: unknown }[]): HookReport | undefined {
  if (args[0]?.value !== marker || typeof args[1]?.value !== 'string') return undefined;
  try {
    const r = JSON.parse(args[1].value) as Partial<HookReport>;
    if (typeof r.data !== 'string' || typeof r.via !== 'string') return undefined;
    return {
      via: r.via,
      ...(typeof r.url === 'string' && r.url ? { url: r.url } : {}),
      size: typeof r.size === 'number' ? r.size : 0,
      partial: r.partial === true,
      data: r.data,
    };
  } catch {
    return undefined;
  }
}
