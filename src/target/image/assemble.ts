// One image of the snapshot from its plan: the config read, each layer placed (missing, unreadable
// or cut ones said so), build steps matched to the layers they added (a step with `empty_layer`
// adds none), every file of interest marked as in the final filesystem or only in the history (and
// which layer removed it), and the start scripts read from the final filesystem.
import type { Image, ImageFile, ImageHistoryStep, ImageLayer, ImageSkip } from '../../snapshot/image.js';
import { ConfigSchema, imageConfigOf, type ParsedConfig } from './config.js';
import { readDoc, type ImagePlan, type LayerRef } from './manifest.js';
import { readStartScripts } from './scripts.js';
import type { BlobSource } from './source.js';
import { emptyLayerScan, type LayerScan } from './types.js';
import { FinalView } from './view.js';

/** The layer's record in the snapshot (its build step is filled in by attributeHistory). */
function layerRecord(i: number, ref: LayerRef, scan: LayerScan | undefined, diffId?: string): ImageLayer {
  const size = ref.size ?? scan?.size;
  const note = scan
    ? scan.note
    : ref.bad
      ? 'the manifest names it by a malformed digest'
      : 'the manifest names a blob the archive does not hold';
  // Keys in the schema's order, so a snapshot reads the same way for every image.
  return {
    index: i,
    // A layer whose hashing failed has no digest of its own.
    digest: ref.digest ?? (scan?.digest || undefined) ?? diffId ?? ref.key,
    ...(diffId ? { diffId } : {}),
    ...(ref.mediaType ? { mediaType: ref.mediaType } : {}),
    ...(size !== undefined ? { size } : {}),
    entries: scan?.entries ?? 0,
    status: scan?.status ?? 'missing',
    ...(note ? { note } : {}),
  };
}

/** Step i that adds a layer ↔ layer i; the steps' and layers' counts should agree. */
function attributeHistory(
  cfg: ParsedConfig | undefined,
  layers: ImageLayer[],
  skips: ImageSkip[],
): ImageHistoryStep[] {
  let next = 0;
  const steps = (cfg?.history ?? []).map((h, index) => {
    const step: ImageHistoryStep = {
      index,
      createdBy: h.created_by ?? '',
      ...(h.created ? { created: h.created } : {}),
      emptyLayer: h.empty_layer === true,
    };
    if (!step.emptyLayer) {
      const layer = layers[next];
      if (layer) {
        step.layer = next;
        if (step.createdBy) {
          // Before `entries`, where the schema lists it.
          const { entries, status, note, ...head } = layer;
          layers[next] = { ...head, createdBy: step.createdBy, entries, status, ...(note ? { note } : {}) };
        }
      }
      next++;
    }
    return step;
  });
  if (steps.length > 0 && next !== layers.length)
    skips.push({
      path: 'history',
      reason: 'history-mismatch',
      detail: `${next} build steps add a layer, the image has ${layers.length} layers: steps matched from the bottom`,
    });
  return steps;
}

/** The image's files of interest, each placed in or out of the final filesystem. */
function filesOf(scans: readonly (LayerScan | undefined)[], view: FinalView): ImageFile[] {
  const files: ImageFile[] = [];
  scans.forEach((scan, i) => {
    for (const f of scan?.files.values() ?? []) {
      const removedBy = view.removedBy(i, f.path);
      files.push({
        path: f.path,
        layer: i,
        size: f.size,
        ...(f.sha256 ? { sha256: f.sha256 } : {}),
        ...(f.executable ? { executable: true } : {}),
        ...(f.form ? { form: f.form } : {}),
        inFinal: removedBy === undefined,
        ...(removedBy !== undefined ? { removedBy } : {}),
        matches: f.matches,
        ...(f.web ? { web: f.web } : {}),
      });
    }
  });
  return files.sort((a, b) => a.layer - b.layer || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The config, or undefined with the reason in `skips`; a digest the manifest names is checked. */
async function readConfig(
  plan: ImagePlan,
  src: BlobSource,
  skips: ImageSkip[],
): Promise<{ cfg?: ParsedConfig; digest: string }> {
  if (!plan.configKey) return { digest: plan.configDigest ?? plan.manifestDigest ?? 'unknown' };
  const r = await readDoc(src, plan.configKey, ConfigSchema);
  if (!r.ok) {
    skips.push(r.skip);
    return { digest: plan.configDigest ?? plan.configKey };
  }
  if (plan.configDigest && plan.configDigest !== r.digest)
    skips.push({
      path: plan.configKey,
      reason: 'digest-mismatch',
      detail: `the config hashes to ${r.digest}`,
    });
  return { cfg: r.value, digest: plan.configDigest ?? r.digest };
}

/** Assembles one image of the snapshot from its plan and the blobs. */
export async function assembleImage(plan: ImagePlan, src: BlobSource): Promise<Image> {
  const skips: ImageSkip[] = [...plan.skips];
  const { cfg, digest } = await readConfig(plan, src, skips);
  const diffIds = cfg?.rootfs?.diff_ids ?? [];
  const scans: (LayerScan | undefined)[] = [];
  const layers: ImageLayer[] = [];
  for (const [i, ref] of plan.layers.entries()) {
    const scan = ref.bad ? undefined : await src.layer(ref.key);
    scans.push(scan);
    layers.push(layerRecord(i, ref, scan, diffIds[i]));
    if (!scan)
      skips.push({
        layer: i,
        path: ref.key || (ref.digest ?? ''),
        reason: 'missing-blob',
        detail: layers[i]?.note ?? '',
      });
    else {
      for (const s of scan.skips) skips.push({ layer: i, ...s });
      if (ref.digest && scan.digest && ref.digest !== scan.digest && scan.status !== 'unreadable')
        skips.push({
          layer: i,
          path: ref.key,
          reason: 'digest-mismatch',
          detail: `the blob hashes to ${scan.digest}`,
        });
    }
  }
  if (diffIds.length > 0 && diffIds.length !== layers.length)
    skips.push({
      path: 'rootfs.diff_ids',
      reason: 'layer-count-mismatch',
      detail: `${diffIds.length} diff ids, ${layers.length} layers`,
    });
  const history = attributeHistory(cfg, layers, skips);
  const config = imageConfigOf(cfg);
  const view = new FinalView(scans.map((s) => s ?? emptyLayerScan('', 'none')));
  const image: Image = {
    ref: plan.names[0] ?? digest,
    names: plan.names,
    digest,
    config,
    history,
    layers,
    files: filesOf(scans, view),
    startScripts: readStartScripts(config, view, scans, skips),
    skips,
    filesScanned: scans.reduce((n, s) => n + (s?.filesScanned ?? 0), 0),
  };
  if (plan.manifestDigest) image.manifestDigest = plan.manifestDigest;
  const os = cfg?.os ?? plan.platform?.os;
  const architecture = cfg?.architecture ?? plan.platform?.architecture;
  if (os) image.os = os;
  if (architecture) image.architecture = architecture;
  return image;
}
