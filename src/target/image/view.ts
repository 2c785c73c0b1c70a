// The filesystem a container of the image sees, computed from its layers bottom to top without
// extracting anything: a layer's entry at a path replaces what lower layers had there, `.wh.<name>`
// deletes a path (and all below it), `.wh..wh..opq` hides everything lower layers put in a
// directory, and a file or link put where a directory was hides that directory's lower content.
// It also says, for a file of an earlier layer, which later layer deleted or replaced it.
import { ancestorsOf } from './names.js';
import type { LayerScan, NodeKind } from './types.js';

export interface ViewEntry {
  /** The layer (index) whose entry a container sees. */
  layer: number;
  kind: NodeKind;
}

export type Resolved =
  { found: true; path: string; entry: ViewEntry } | { found: false; loop?: boolean; path: string };

const MAX_SYMLINK_HOPS = 40;

/** What a layer's parts need: its paths, whiteouts and opaque directories. */
export type ViewLayer = Pick<LayerScan, 'nodes' | 'whiteouts' | 'opaque' | 'symlinks'>;

export class FinalView {
  // The image's layers, bottom first.
  constructor(private readonly layers: readonly ViewLayer[]) {}

  /**
   * Whether layer `j` hides what lower layers have at `p`: it puts an entry there, deletes it or an
   * ancestor, makes an ancestor opaque, or puts a non-directory where an ancestor directory was.
   */
  hides(j: number, p: string): boolean {
    const l = this.layers[j];
    if (!l) return false;
    if (l.nodes.has(p) || l.whiteouts.has(p)) return true;
    for (const a of ancestorsOf(p)) {
      if (l.whiteouts.has(a) || l.opaque.has(a)) return true;
      const kind = l.nodes.get(a);
      if (kind !== undefined && kind !== 'dir') return true;
    }
    return false;
  }

  /** The first layer above `layer` that deletes or replaces its entry at `p`; undefined: still there. */
  removedBy(layer: number, p: string): number | undefined {
    for (let j = layer + 1; j < this.layers.length; j++) if (this.hides(j, p)) return j;
    return undefined;
  }

  /** The entry a container sees at `p`, its last component not followed. */
  lookup(p: string): ViewEntry | undefined {
    for (let k = this.layers.length - 1; k >= 0; k--) {
      const l = this.layers[k] as ViewLayer;
      const kind = l.nodes.get(p);
      if (kind !== undefined) return { layer: k, kind };
      if (this.hides(k, p)) return undefined;
    }
    return undefined;
  }

  /** The text of the symlink a container sees at `p`. */
  linkText(p: string): string | undefined {
    const e = this.lookup(p);
    return e?.kind === 'symlink' ? this.layers[e.layer]?.symlinks.get(p) : undefined;
  }

  /**
   * Follows `p` through the image's symlinks as a container would (absolute links from the image's
   * root, `..` never above it), with a bound on hops: a loop is reported, not followed forever.
   */
  resolve(p: string): Resolved {
    const pending = p.split('/').filter((x) => x !== '' && x !== '.');
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.shift() as string;
      if (name === '..') {
        done.pop();
        continue;
      }
      const at = `/${[...done, name].join('/')}`;
      const entry = this.lookup(at);
      if (!entry) return { found: false, path: at };
      if (entry.kind === 'symlink') {
        if (++hops > MAX_SYMLINK_HOPS) return { found: false, loop: true, path: p };
        const text = this.linkText(at) ?? '';
        if (text.startsWith('/')) done.length = 0;
        pending.unshift(...text.split('/').filter((x) => x !== '' && x !== '.'));
        continue;
      }
      done.push(name);
      if (pending.length === 0) return { found: true, path: at, entry };
    }
    return { found: false, path: '/' };
  }
}
