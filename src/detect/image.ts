// Building blocks the image detectors share: one subject, fingerprint and set of facts per image (so
// correlation merges every signal about an image into one finding, as it does for a process), the
// `image` evidence that names the layer and build step, and the readings of an image's config that
// more than one detector needs: the command a container starts, the programs it runs, a history
// step's shell command.
import type { Evidence, Level, Localized, MinerKind } from '../model/finding.js';
import { LEVELS } from '../model/finding.js';
import type { MessageData } from '../model/localized.js';
import { basename, t } from '../model/localized.js';
import type { Image, ImageFile, ImageHistoryStep } from '../snapshot/image.js';
import { INTERPRETERS, effectiveWords, executedPaths } from '../shell/command.js';

/** Every hit about one image carries this subject, so the run merges them into one finding. */
export function imageSubject(img: Image): string {
  return `image:${img.digest}`;
}

/** The image id is what stays the same wherever the image is pulled, retagged or saved. */
export function imageFingerprint(img: Image): string[] {
  return ['image', img.digest];
}

/** `USER` unset, empty, root or uid 0 (with any group): the container's processes run as root. */
export function runsAsRoot(img: Image): boolean {
  const user = (img.config.user ?? '').split(':')[0] ?? '';
  return user === '' || user === 'root' || user === '0';
}

/**
 * The facts every image hit carries: which image, and the user its containers run as. Running as
 * root is not a signal on its own (most images do), but a responder weighs what a root container
 * could reach, so it travels with the finding's data.
 */
export function imageFacts(img: Image): MessageData {
  return {
    image: img.ref,
    digest: img.digest,
    user: img.config.user ?? '',
    runsAsRoot: runsAsRoot(img) ? 'yes' : 'no',
  };
}

/**
 * The kind of what an image carries (e.g. `open-source-miner` for XMRig in a layer), kept in the
 * hit's data as `carries`: a hit has one kind, and an image finding's is `container-image`, so the
 * verdict reads this fact to list the carried kinds after it (classify/verdict.ts).
 */
export function carriesFact(kind: MinerKind | undefined): MessageData {
  return kind && kind !== 'container-image' ? { carries: kind } : {};
}

/** The layer's index and blob digest, as evidence names it; undefined for an index the image lacks. */
export function layerRef(
  img: Image,
  index: number | undefined,
): { index: number; digest: string } | undefined {
  if (index === undefined) return undefined;
  const layer = img.layers.find((l) => l.index === index);
  return layer ? { index, digest: layer.digest } : undefined;
}

/** The build step that added a layer: the layer's own record, else the history step pointing at it. */
export function layerStep(img: Image, index: number): string | undefined {
  return (
    img.layers.find((l) => l.index === index)?.createdBy ??
    img.history.find((h) => h.layer === index)?.createdBy
  );
}

/** `image` evidence for the image as a whole (its config: entrypoint, env, ports). */
export function imageEvidence(img: Image): Evidence {
  return { type: 'image', image: img.ref, digest: img.digest };
}

/** `image` evidence for a file: the layer that added it and its step, and whether it is still there. */
export function imageFileEvidence(img: Image, file: ImageFile): Evidence {
  const layer = layerRef(img, file.layer);
  const createdBy = layerStep(img, file.layer);
  return {
    type: 'image',
    image: img.ref,
    digest: img.digest,
    ...(layer ? { layer } : {}),
    ...(createdBy !== undefined ? { createdBy } : {}),
    path: file.path,
    inFinal: file.inFinal,
    ...(file.removedBy !== undefined ? { removedBy: file.removedBy } : {}),
  };
}

/** `image` evidence for a history step, with the layer it added when it added one. */
export function imageStepEvidence(img: Image, step: ImageHistoryStep): Evidence {
  const layer = layerRef(img, step.layer);
  return {
    type: 'image',
    image: img.ref,
    digest: img.digest,
    ...(layer ? { layer } : {}),
    createdBy: step.createdBy,
  };
}

/** One level down (never below info): a file only in the image's history is weaker than a live one. */
export function lowerLevel(level: Level): Level {
  return LEVELS[Math.min(LEVELS.length - 1, LEVELS.indexOf(level) + 1)] ?? 'info';
}

/**
 * What a container of the image starts: the entrypoint with the cmd appended as its arguments, or
 * the cmd alone when there is no entrypoint (the Docker and OCI rule).
 */
export function startArgv(img: Image): string[] {
  const entrypoint = img.config.entrypoint ?? [];
  return [...entrypoint, ...(img.config.cmd ?? [])];
}

/** Which config fields the start command came from, for messages: "entrypoint and cmd", "cmd". */
export function startSource(img: Image): Localized {
  const e = (img.config.entrypoint ?? []).length > 0;
  const c = (img.config.cmd ?? []).length > 0;
  if (e && c) return t('its entrypoint and cmd', '其 entrypoint 和 cmd');
  return e ? t('its entrypoint', '其 entrypoint') : t('its cmd', '其 cmd');
}

/** The shell text of a start command: the body of `sh -c '…'`, else the argv joined as one command. */
export function startShellText(argv: string[]): string {
  const w = effectiveWords(argv);
  const prog = w[0] ? basename(w[0]) : '';
  if (INTERPRETERS.test(prog) && w.includes('-c')) return w[w.indexOf('-c') + 1] ?? '';
  return argv.map((a) => (/[\s'"\\$`|;&()<>]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a)).join(' ');
}

/** The directories of the image's `PATH`, where a bare program name like `xmrig` is looked up. */
function pathDirs(img: Image): string[] {
  const path = img.config.env.find((e) => e.startsWith('PATH='))?.slice(5);
  return (path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean);
}

/**
 * The image files a container starts: the programs and scripts of the start command and of the start
 * scripts, bare names resolved through the image's PATH against the files the reader recorded.
 */
export function startedPaths(img: Image): Set<string> {
  const texts = [startShellText(startArgv(img)), ...img.startScripts.map((s) => s.text)];
  const named = new Set(texts.flatMap((text) => executedPaths(text)));
  for (const s of img.startScripts) named.add(s.path);
  const known = new Set(img.files.map((f) => f.path));
  const out = new Set<string>();
  for (const name of named) {
    if (name.startsWith('/')) out.add(name);
    else if (!name.includes('/'))
      for (const dir of pathDirs(img)) if (known.has(`${dir}/${name}`)) out.add(`${dir}/${name}`);
  }
  return out;
}

export interface BuildStep {
  /** The Dockerfile instruction (RUN, ADD, COPY, CMD, …); RUN for a bare shell command. */
  instruction: string;
  /** What follows it: for RUN the shell command itself, wrappers of the history format removed. */
  text: string;
}

const INSTRUCTION =
  /^(RUN|ADD|COPY|CMD|ENTRYPOINT|ENV|ARG|LABEL|EXPOSE|USER|WORKDIR|VOLUME|SHELL|STOPSIGNAL|HEALTHCHECK|ONBUILD|MAINTAINER|FROM)\b\s*/;
const SHELL_NAME = /^(?:\/\S*\/)?(?:ba|da|a|z)?sh$/;
const FLAG_CLUSTER = /^-[a-bd-z]+$/;
const DASH_C = /^-[a-z]*c$/;

/**
 * The length of the shell prefix a RUN step starts with: `/bin/sh -c `, `/bin/bash -o pipefail -c `,
 * `/bin/sh -ec ` (a SHELL instruction), `sh -c ` — the shell, its options (`-o name`, flag clusters
 * without c), a cluster ending in c and the blanks after it; -1 without one. Read token by token
 * with each position's answer kept, from the end: the one regex this replaces,
 * `sh(?:\s+-o\s+\S+|\s+-[a-bd-z]+)*\s+-[a-z]*c\s+`, could read `-o -o` two ways and tried every
 * combination (22 s for a history line of 44 `-o`; an image's history is its builder's text). The
 * answer is the regex's: at each token an `-o` with its argument first, then a flag cluster, then
 * the final `-…c`.
 */
export function shellPrefixLength(s: string): number {
  const tokens = [...s.matchAll(/\S+/g)];
  const first = tokens[0];
  if (!first || first.index !== 0 || !SHELL_NAME.test(first[0])) return -1;
  const n = tokens.length;
  const words = tokens.map((t) => t[0]);
  const starts = tokens.map((t) => t.index as number);
  // end[i]: where the prefix ends when the options start at token i, or -1.
  const end = new Array<number>(n + 2).fill(-1);
  for (let i = n - 1; i >= 1; i--) {
    const word = words[i] as string;
    if (word === '-o' && i + 1 < n && (end[i + 2] as number) >= 0) end[i] = end[i + 2] as number;
    else if (FLAG_CLUSTER.test(word) && (end[i + 1] as number) >= 0) end[i] = end[i + 1] as number;
    else if (DASH_C.test(word) && (starts[i] as number) + word.length < s.length)
      // The blanks after the -c belong to the prefix: up to the next word or the end.
      end[i] = i + 1 < n ? (starts[i + 1] as number) : s.length;
  }
  return end[1] as number;
}

/** `|2 VERSION=1 ARCH=amd64 ` : the build arguments a RUN saw, recorded before its command. */
const BUILD_ARGS = /^\|(\d+)\s+/;

/** The text without BuildKit's trailing ` # buildkit` (a lookup per `#`, not per blank: linear). */
function withoutBuildkitMark(s: string): string {
  const mark = /#\s*buildkit$/.exec(s);
  if (!mark || mark.index === 0 || !/\s/.test(s[mark.index - 1] as string)) return s;
  return s.slice(0, mark.index).trimEnd();
}

/**
 * Reads `history[].created_by` in the forms builders write it: docker's classic `/bin/sh -c #(nop)
 * CMD […]` and `/bin/sh -c apt-get …`, BuildKit's `RUN /bin/sh -c … # buildkit` and `ADD url dest
 * # buildkit`, both with `|N ARG=v` build arguments, and buildah's. Anything else is read as a shell
 * command, since that is what an unknown builder most likely ran.
 */
export function parseBuildStep(createdBy: string): BuildStep {
  let s = withoutBuildkitMark(createdBy.trim());
  let instruction: string | undefined;
  const head = INSTRUCTION.exec(s);
  if (head?.[1]) {
    instruction = head[1];
    s = s.slice(head[0].length);
  }
  const args = BUILD_ARGS.exec(s);
  if (args) {
    // The arguments are `NAME=value` words without quoting; skip as many as the count says.
    const words = s.slice(args[0].length).split(' ');
    s = words.slice(Number(args[1])).join(' ');
  }
  const shell = shellPrefixLength(s);
  if (shell >= 0) {
    s = s.slice(shell);
    const nop = /^#\(nop\)\s*(\w+)\s*/.exec(s);
    if (nop?.[1]) return { instruction: nop[1].toUpperCase(), text: s.slice(nop[0].length).trim() };
  }
  return { instruction: instruction ?? 'RUN', text: s.trim() };
}
