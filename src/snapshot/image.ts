// The snapshot's container-image facts (source §4.7, the seventh kind): the images of a docker-archive
// or OCI tarball/layout, each with its config (entrypoint, cmd, env, user, ports), its build history,
// its layers, and the files of interest each layer adds (those with content matches, executables),
// marked as present in the final filesystem or only in the image's history. A leaf module.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { ContentMatchSchema, FILE_FORMS } from './content-match.js';

export const IMAGE_FORMATS = ['docker-archive', 'oci-archive', 'oci-layout'] as const;

export const ImageConfigSchema = builtOnFirstUse(() =>
  z.object({
    entrypoint: z.array(z.string()).optional(),
    cmd: z.array(z.string()).optional(),
    /** `NAME=value` as the config holds them. */
    env: z.array(z.string()),
    user: z.string().optional(),
    workingDir: z.string().optional(),
    /** e.g. `3333/tcp`. */
    exposedPorts: z.array(z.string()),
    labels: z.record(z.string(), z.string()).optional(),
  }),
);
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

/** One step of `history[]`; steps with `emptyLayer` (ENV, CMD…) add no layer. */
export const ImageHistoryStepSchema = builtOnFirstUse(() =>
  z.object({
    index: z.number().int().nonnegative(),
    createdBy: z.string(),
    created: z.string().optional(),
    emptyLayer: z.boolean(),
    /** The layer this step added (index into `layers`), when it added one. */
    layer: z.number().int().nonnegative().optional(),
  }),
);
export type ImageHistoryStep = z.infer<typeof ImageHistoryStepSchema>;

// zstd layers are decoded (target/image/decode.ts); a codec that is not (xz, bzip2) is `unreadable`.
export const LAYER_STATUSES = ['ok', 'truncated', 'unreadable', 'missing', 'limit'] as const;

export const ImageLayerSchema = builtOnFirstUse(() =>
  z.object({
    index: z.number().int().nonnegative(),
    /** The blob digest as the manifest names it (`sha256:…`, of the compressed blob). */
    digest: z.string(),
    /** The uncompressed layer's digest (config `rootfs.diff_ids`), when known. */
    diffId: z.string().optional(),
    mediaType: z.string().optional(),
    /** Compressed size in bytes. */
    size: z.number().int().nonnegative().optional(),
    /** The build step that added it (`history[].created_by`). */
    createdBy: z.string().optional(),
    entries: z.number().int().nonnegative(),
    status: z.enum(LAYER_STATUSES),
    /** Why a layer is not `ok`, in words. */
    note: z.string().optional(),
  }),
);
export type ImageLayer = z.infer<typeof ImageLayerSchema>;

/**
 * What the web normaliser did not decode in a web file of a layer (as the host content scan records
 * it per file): decodings refused as bombs, and why decoding stopped short.
 */
export const ImageFileWebSchema = builtOnFirstUse(() =>
  z.object({
    bombs: z.array(z.string()).optional(),
    stopped: z.string().optional(),
  }),
);
export type ImageFileWeb = z.infer<typeof ImageFileWebSchema>;

/** A file of interest in a layer: it has content matches, is an executable, or met a decoding bomb. */
export const ImageFileSchema = builtOnFirstUse(() =>
  z.object({
    /** Path inside the image, absolute (`/usr/local/bin/x`). */
    path: z.string(),
    /** The layer that added this version of the file. */
    layer: z.number().int().nonnegative(),
    size: z.number().int().nonnegative(),
    sha256: z.string().optional(),
    executable: z.boolean().optional(),
    form: z.enum(FILE_FORMS).optional(),
    /**
     * False when a later layer deleted (whiteout) or replaced it: present in the image's history
     * (anyone can pull that layer), absent from the filesystem a container sees.
     */
    inFinal: z.boolean(),
    /** The layer that deleted or replaced it, when not in the final filesystem. */
    removedBy: z.number().int().nonnegative().optional(),
    matches: z.array(ContentMatchSchema),
    web: ImageFileWebSchema.optional(),
  }),
);
export type ImageFile = z.infer<typeof ImageFileSchema>;

export const ImageSkipSchema = builtOnFirstUse(() =>
  z.object({
    /** The layer (index) or undefined for the archive itself. */
    layer: z.number().int().nonnegative().optional(),
    path: z.string(),
    /**
     * path-traversal, absolute-name, hardlink-outside, symlink-loop, truncated, missing-blob,
     * decompression-bomb (a layer or the archive), layer-limit, entries-limit, zstd-window,
     * decoding-bomb (a web file's content), …
     */
    reason: z.string(),
    detail: z.string().optional(),
  }),
);
export type ImageSkip = z.infer<typeof ImageSkipSchema>;

export const ImageSchema = builtOnFirstUse(() =>
  z.object({
    /** `name:tag` as the archive names it (first of `names`), else the config digest. */
    ref: z.string(),
    names: z.array(z.string()),
    /** The image id: the config blob's digest (`sha256:…`). */
    digest: z.string(),
    /** The manifest's digest, when the archive has one (OCI). */
    manifestDigest: z.string().optional(),
    os: z.string().optional(),
    architecture: z.string().optional(),
    config: ImageConfigSchema,
    history: z.array(ImageHistoryStepSchema),
    layers: z.array(ImageLayerSchema),
    files: z.array(ImageFileSchema),
    /**
     * Scripts the entrypoint or cmd starts, read from the final filesystem (path → text, bounded), so
     * the command-line detectors see what the container really runs.
     */
    startScripts: z.array(z.object({ path: z.string(), text: z.string() })),
    skips: z.array(ImageSkipSchema),
    /** Files read over all layers; clean data files are counted, not listed. */
    filesScanned: z.number().int().nonnegative(),
  }),
);
export type Image = z.infer<typeof ImageSchema>;

export const ImagesSchema = builtOnFirstUse(() =>
  z.object({
    /** The tarball or layout directory read, as given (absolute). */
    source: z.string(),
    format: z.enum(IMAGE_FORMATS),
    images: z.array(ImageSchema),
    /** Problems with the archive itself (a manifest naming a missing blob, a malformed index…). */
    skips: z.array(ImageSkipSchema),
  }),
);
export type Images = z.infer<typeof ImagesSchema>;
