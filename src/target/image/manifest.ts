// Which images an archive or layout holds and which blobs make each one: docker's manifest.json
// (with `repositories` for names older tools left out of it) or the OCI index.json, nested indexes
// followed with a bound on depth and a guard against cycles. Every document is parsed leniently and
// a malformed one becomes a skip record, so one bad manifest never hides the other images.
import { z } from 'zod';
import type { ImageSkip } from '../../snapshot/image.js';
import { blobKey, type BlobSource } from './source.js';

export interface LayerRef {
  key: string;
  /** The digest the manifest names (OCI), checked against the blob's own. */
  digest?: string;
  mediaType?: string;
  size?: number;
  /** The manifest names the layer by a malformed digest: it is not looked for. */
  bad?: boolean;
}

/** One image to assemble: its names, its config blob and its layers, bottom first. */
export interface ImagePlan {
  names: string[];
  configKey?: string;
  /** The config digest the manifest names (OCI). */
  configDigest?: string;
  manifestDigest?: string;
  platform?: { os?: string; architecture?: string };
  layers: LayerRef[];
  skips: ImageSkip[];
}

const DockerManifestSchema = z.array(
  z.object({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string()),
  }),
);

const DescriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest: z.string(),
  size: z.number().optional(),
  annotations: z.record(z.string(), z.string()).nullish(),
  platform: z.object({ os: z.string().optional(), architecture: z.string().optional() }).nullish(),
});
type Descriptor = z.infer<typeof DescriptorSchema>;

const IndexSchema = z.object({ manifests: z.array(DescriptorSchema) });
const OciManifestSchema = z.object({
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});

/** Nested indexes deeper than this are not followed. */
const MAX_INDEX_DEPTH = 8;

type Parsed<T> = { ok: true; value: T; digest: string } | { ok: false; skip: ImageSkip };

/** Reads a document and checks it against `schema`; what goes wrong is a skip record. */
export async function readDoc<T>(src: BlobSource, key: string, schema: z.ZodType<T>): Promise<Parsed<T>> {
  const doc = await src.doc(key);
  if (!doc.ok) return { ok: false, skip: { path: key, reason: doc.reason, detail: doc.detail } };
  let json: unknown;
  try {
    json = JSON.parse(doc.bytes.toString('utf8'));
  } catch (err) {
    return { ok: false, skip: { path: key, reason: 'malformed-json', detail: (err as Error).message } };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const detail = first
      ? `${first.path.join('.') || '(top)'}: ${first.message}`
      : 'does not match the format';
    return { ok: false, skip: { path: key, reason: 'malformed-json', detail } };
  }
  return { ok: true, value: parsed.data, digest: doc.digest };
}

/** `repositories` (`{"name": {"tag": "<top layer id>"}}`): names by the top layer's directory. */
async function legacyNames(src: BlobSource): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const repos = await readDoc(src, 'repositories', z.record(z.string(), z.record(z.string(), z.string())));
  if (!repos.ok) return out;
  for (const [name, tags] of Object.entries(repos.value))
    for (const [tag, id] of Object.entries(tags)) out.set(id, [...(out.get(id) ?? []), `${name}:${tag}`]);
  return out;
}

/** The images of a docker-archive, or undefined when manifest.json is unusable (a skip says why). */
export async function dockerPlans(src: BlobSource, skips: ImageSkip[]): Promise<ImagePlan[] | undefined> {
  const manifest = await readDoc(src, 'manifest.json', DockerManifestSchema);
  if (!manifest.ok) {
    skips.push(manifest.skip);
    return undefined;
  }
  const legacy = await legacyNames(src);
  return manifest.value.map((m) => {
    const top = m.Layers.at(-1)?.split('/')[0] ?? '';
    const names = m.RepoTags?.length ? m.RepoTags : (legacy.get(top) ?? []);
    return { names, configKey: m.Config, layers: m.Layers.map((key) => ({ key })), skips: [] };
  });
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** Names an OCI descriptor gives its image: the ref annotation (a tag or a full name) and containerd's. */
function namesOf(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  return [a['io.containerd.image.name'], a['org.opencontainers.image.ref.name']].filter(
    (n): n is string => typeof n === 'string' && n !== '',
  );
}

/** The images an OCI index.json names, nested indexes included. */
export async function ociPlans(src: BlobSource, skips: ImageSkip[]): Promise<ImagePlan[]> {
  const index = await readDoc(src, 'index.json', IndexSchema);
  if (!index.ok) {
    skips.push(index.skip);
    return [];
  }
  const plans: ImagePlan[] = [];
  const seen = new Set<string>();
  const walk = async (descs: Descriptor[], inherited: string[], depth: number): Promise<void> => {
    for (const d of descs) {
      // BuildKit's attestations (SBOM, provenance) sit in the index as manifests of no platform.
      if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
      const key = blobKey(d.digest);
      if (!key) {
        skips.push({ path: d.digest, reason: 'bad-digest', detail: 'not a sha256/sha512 digest; not read' });
        continue;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      const names = [...namesOf(d), ...inherited];
      if (d.mediaType && INDEX_TYPES.has(d.mediaType)) {
        if (depth >= MAX_INDEX_DEPTH)
          skips.push({ path: key, reason: 'limit', detail: 'indexes nested too deep' });
        else {
          const nested = await readDoc(src, key, IndexSchema);
          if (nested.ok) await walk(nested.value.manifests, names, depth + 1);
          else skips.push(nested.skip);
        }
        continue;
      }
      plans.push(await ociPlan(src, d, key, names));
    }
  };
  await walk(index.value.manifests, [], 0);
  return plans;
}

/** One OCI image manifest as a plan; a manifest that cannot be read leaves a plan with its skip. */
async function ociPlan(src: BlobSource, d: Descriptor, key: string, names: string[]): Promise<ImagePlan> {
  const plan: ImagePlan = { names: [...new Set(names)], manifestDigest: d.digest, layers: [], skips: [] };
  if (d.platform) plan.platform = { ...d.platform };
  const m = await readDoc(src, key, OciManifestSchema);
  if (!m.ok) {
    plan.skips.push(m.skip);
    return plan;
  }
  const configKey = blobKey(m.value.config.digest);
  if (configKey) Object.assign(plan, { configKey, configDigest: m.value.config.digest });
  else
    plan.skips.push({ path: m.value.config.digest, reason: 'bad-digest', detail: 'config digest malformed' });
  for (const l of m.value.layers) {
    const layerKey = blobKey(l.digest);
    if (!layerKey) {
      // Kept in its place, so the layers above still line up with their build steps.
      plan.skips.push({ path: l.digest, reason: 'bad-digest', detail: 'layer digest malformed; not read' });
      plan.layers.push({ key: '', digest: l.digest, bad: true });
      continue;
    }
    const ref: LayerRef = { key: layerKey, digest: l.digest };
    if (l.mediaType) ref.mediaType = l.mediaType;
    if (l.size !== undefined && Number.isInteger(l.size) && l.size >= 0) ref.size = l.size;
    plan.layers.push(ref);
  }
  return plan;
}
