// Types for launcher-env.mjs, for the TypeScript benchmarks.
export function launcherEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
