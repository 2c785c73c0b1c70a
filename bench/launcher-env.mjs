// The environment ./minehunter gives Node: NODE_EXTRA_CA_CERTS moved to MINEHUNTER_EXTRA_CA_CERTS
// (Node 20 reads that file on every start, ~45 ms for a system's whole bundle; the tool adds it
// itself where it opens a TLS connection: src/util/extra-ca.ts). The benchmarks run the bundle
// with node, as the wrapper does, so they time what a user's command costs.
export function launcherEnv(env = process.env) {
  const { NODE_EXTRA_CA_CERTS: extra, ...rest } = env;
  if (!extra) return { ...rest };
  return { ...rest, MINEHUNTER_EXTRA_CA_CERTS: rest.MINEHUNTER_EXTRA_CA_CERTS || extra };
}
