// Types for summarize-inputs.mjs, so the TypeScript tests share the generated fleet.
export interface FleetExpectation {
  reports: number;
  hosts: number;
  infectedWeb: number;
  infectedNode: number;
  clean: number;
  cleanStatus: 'infected' | 'suspicious' | 'clean' | 'incomplete';
  merged: number;
  webKinds: string[];
  nodeKinds: string[];
  minerSha: string | undefined;
  wallet: string;
  walletHosts: number;
  sharedWallet: string;
  sharedWalletHosts: number;
  ownWallets: number;
}
export function generateFleet(options: {
  repo: string;
  cli: string;
  dir: string;
  reports?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<{ files: string[]; expected: FleetExpectation }>;
