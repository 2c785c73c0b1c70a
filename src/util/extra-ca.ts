// The CA certificates a user adds to Node's with NODE_EXTRA_CA_CERTS (a company's TLS proxy, an
// internal feed), applied by this tool itself to the TLS connections it makes: a rule bundle's
// download, the HTTPS and syslog-over-TLS sinks. Node 20 reads that file on every start, before any
// JavaScript runs (~45 ms with Debian's whole bundle, a tenth of a `scan --no-content`), though most
// commands never open a TLS connection. So the launchers keep Node from reading it: ./minehunter
// moves the path to MINEHUNTER_EXTRA_CA_CERTS, and the single executable's node reads another
// variable name (scripts/package.mjs), leaving NODE_EXTRA_CA_CERTS to us.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { isSea, say } from './sea.js';

/** Where ./minehunter puts NODE_EXTRA_CA_CERTS's path for the tool (and a user may set it directly). */
export const EXTRA_CA_VARIABLE = 'MINEHUNTER_EXTRA_CA_CERTS';

/** The file of extra CA certificates Node did not load at start-up and we must add, if any. */
export function extraCaFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[EXTRA_CA_VARIABLE] || (isSea() ? env.NODE_EXTRA_CA_CERTS : undefined);
  return file || undefined;
}

let loaded: { file: string; ca: string[] | undefined } | undefined;

/**
 * The trusted CAs for a TLS connection that names none of its own: Node's built-in roots and the
 * extra certificates, as Node itself would have them; undefined for Node's default (no extra file,
 * or Node read it at start-up). A file that cannot be read or holds no certificate is ignored with
 * a warning, as Node does.
 */
export function defaultCa(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const file = extraCaFile(env);
  if (!file) return undefined;
  if (loaded?.file === file) return loaded.ca;
  let ca: string[] | undefined;
  try {
    const pem = readFileSync(file, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    ca = [...tls.rootCertificates, pem];
  } catch (err) {
    const why = (err as Error).message;
    say(
      `ignoring the extra CA certificates in ${file} (NODE_EXTRA_CA_CERTS): ${why}`,
      `已忽略 ${file} 中的额外 CA 证书（NODE_EXTRA_CA_CERTS）：${why}`,
    );
  }
  loaded = { file, ca };
  return ca;
}
