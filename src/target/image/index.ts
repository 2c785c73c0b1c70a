// The container-image reader: docker-archive tarballs (one or many images, `docker save` and
// `podman save` output), OCI archives and OCI layout directories, read as streams without
// extracting anything, into the snapshot's `image` section. See DESIGN.md "Targets" and
// snapshot/image.ts for what each image carries; archive.ts and layer.ts for how it is read.
import path from 'node:path';
import type { Images, ImageSkip } from '../../snapshot/image.js';
import { readArchive } from './archive.js';
import { assembleImage } from './assemble.js';
import type { BlobContext } from './blob.js';
import { HashThread } from './blob-hash.js';
import { imageFormatOf, type ImageFormat } from './format.js';
import { dockerPlans, ociPlans, type ImagePlan } from './manifest.js';
import { LayoutSource, TarSource, type BlobSource } from './source.js';
import { limitsOf, type ReadImageOptions } from './types.js';

export { imageFormatOf, type ImageFormat } from './format.js';
export {
  DEFAULT_IMAGE_LIMITS,
  type ContentScanner,
  type ImageLimits,
  type LayerJob,
  type LayerProgress,
  type LayerScan,
  type ReadImageOptions,
  type ScanOutcome,
  type ScanWant,
} from './types.js';

/** The input is not an image: the caller asked for one (a usage error, not an empty result). */
export class NotAnImageError extends Error {
  // Names the path in the message.
  constructor(readonly input: string) {
    super(`${input}: not a container image (docker-archive or OCI tarball, or OCI layout directory)`);
    this.name = 'NotAnImageError';
  }
}

function contextOf(opts: ReadImageOptions, hashes: HashThread): BlobContext {
  const limits = limitsOf(opts);
  let docBytes = 0;
  return {
    limits,
    hashes,
    ...(opts.scanner ? { scanner: opts.scanner } : {}),
    scripts: { left: limits.scriptBudget, exhausted: false },
    keepDoc: (size) => {
      if (docBytes + size > limits.maxJsonTotal) return false;
      docBytes += size;
      return true;
    },
    ...(opts.onLayer ? { onLayer: opts.onLayer } : {}),
  };
}

/** The images to assemble: manifest.json first (it has the tags), else the OCI index. */
async function plansOf(format: ImageFormat, src: BlobSource, skips: ImageSkip[]): Promise<ImagePlan[]> {
  if (format === 'docker-archive') {
    const docker = await dockerPlans(src, skips);
    if (docker) return docker;
    // Docker 25 writes an OCI index beside manifest.json: still a way in when manifest.json is bad.
    const fallback: ImageSkip[] = [];
    const oci = await ociPlans(src, fallback);
    return oci.length > 0 ? oci : [];
  }
  return ociPlans(src, skips);
}

/**
 * Reads every image of the tarball or layout at `input`. Problems with the input (a malformed
 * manifest, a missing blob, a cut layer, a hostile entry) are skip records in the result, never
 * exceptions; only an input that is not an image at all throws NotAnImageError.
 */
export async function readImages(input: string, opts: ReadImageOptions = {}): Promise<Images> {
  const source = path.resolve(input);
  const format = await imageFormatOf(source);
  if (!format) throw new NotAnImageError(source);
  const hashes = new HashThread();
  const ctx = contextOf(opts, hashes);
  const skips: ImageSkip[] = [];
  try {
    let src: BlobSource;
    if (format === 'oci-layout') src = new LayoutSource(source, ctx);
    else {
      const contents = await readArchive(source, ctx);
      skips.push(...contents.skips);
      src = new TarSource(contents);
    }
    const plans = await plansOf(format, src, skips);
    const images = [];
    for (const plan of plans) images.push(await assembleImage(plan, src));
    return { source, format, images, skips };
  } finally {
    await hashes.close();
  }
}
