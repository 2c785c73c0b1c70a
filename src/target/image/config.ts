// The image config blob (docker and OCI share its shape): entrypoint, cmd, env, user, ports, labels,
// the build history and the layers' uncompressed digests, read leniently (docker itself accepts a
// string where a list is due) and turned into the snapshot's ImageConfig.
import { z } from 'zod';
import type { ImageConfig } from '../../snapshot/image.js';

/** A list of words, or one string as docker's own reader also takes it. */
const Words = z.union([z.array(z.string()), z.string().transform((s) => [s])]).nullish();

export const ConfigSchema = z.object({
  architecture: z.string().nullish(),
  os: z.string().nullish(),
  config: z
    .object({
      Entrypoint: Words,
      Cmd: Words,
      Env: z.array(z.string()).nullish(),
      User: z.string().nullish(),
      WorkingDir: z.string().nullish(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Labels: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
  history: z
    .array(
      z.object({
        created: z.string().nullish(),
        created_by: z.string().nullish(),
        empty_layer: z.boolean().nullish(),
      }),
    )
    .nullish(),
  rootfs: z.object({ diff_ids: z.array(z.string()).nullish() }).nullish(),
});
export type ParsedConfig = z.infer<typeof ConfigSchema>;

/** The snapshot's view of the config; absent parts are left out, lists are never absent. */
export function imageConfigOf(parsed: ParsedConfig | undefined): ImageConfig {
  const c = parsed?.config ?? {};
  const out: ImageConfig = {
    env: c.Env ?? [],
    exposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
  };
  if (c.Entrypoint) out.entrypoint = c.Entrypoint;
  if (c.Cmd) out.cmd = c.Cmd;
  if (c.User) out.user = c.User;
  if (c.WorkingDir) out.workingDir = c.WorkingDir;
  if (c.Labels && Object.keys(c.Labels).length > 0)
    out.labels = Object.fromEntries(
      Object.entries(c.Labels).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  return out;
}
