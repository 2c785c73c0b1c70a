// Downloads one file over http or https with node:http(s) rather than fetch: fetch cannot be given
// the user's extra CA certificates, which the launchers keep Node from loading at start-up (see
// extra-ca.ts). Redirects are followed (to http or https only), the body is capped as it arrives,
// and every failure says which of them it was.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { defaultCa } from './extra-ca.js';

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
  /** How many redirects to follow (fetch's default is 20). */
  maxRedirects?: number;
}

/** Why a download failed: the server's answer, a body over the limit, or the connection. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    readonly reason: 'status' | 'too-large' | 'network',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The body at `url` (http: or https:), after at most `maxRedirects` redirects. */
export async function download(url: URL, limits: DownloadLimits): Promise<Buffer> {
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  let at = url;
  for (let redirects = 0; ; redirects++) {
    const res = await get(at, deadline);
    const location = res.headers.location;
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && location) {
      res.resume();
      if (redirects >= (limits.maxRedirects ?? 20))
        throw new DownloadError('network', `more than ${limits.maxRedirects ?? 20} redirects`);
      at = new URL(location, at);
      if (at.protocol !== 'http:' && at.protocol !== 'https:')
        throw new DownloadError('network', `redirected to ${at.protocol} (only http and https are followed)`);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new DownloadError('status', `HTTP ${status}`, status);
    }
    return readBody(res, limits.maxBytes, deadline);
  }
}

function get(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  const ca = secure ? defaultCa() : undefined;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).get(url, { signal, agent: false, ...(ca ? { ca } : {}) }, resolve);
    req.on('error', (err) => reject(new DownloadError('network', networkMessage(err, signal))));
  });
}

function networkMessage(err: Error, signal: AbortSignal): string {
  return signal.aborted ? 'timed out' : err.message;
}

async function readBody(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    res.destroy();
    throw new DownloadError('too-large', `larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        res.destroy();
        throw new DownloadError('too-large', `larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    throw new DownloadError('network', networkMessage(err as Error, signal));
  }
  return Buffer.concat(chunks);
}
