// The final filesystem of an image from its layers: replacement, whiteouts, opaque directories,
// directories replaced by files, and symlinks followed as a container would (loops bounded).
import { describe, expect, it } from 'vitest';
import type { NodeKind } from './types.js';
import { FinalView, type ViewLayer } from './view.js';

function layer(
  nodes: Record<string, NodeKind>,
  extra: { whiteouts?: string[]; opaque?: string[]; links?: Record<string, string> } = {},
): ViewLayer {
  return {
    nodes: new Map(Object.entries(nodes)),
    whiteouts: new Set(extra.whiteouts ?? []),
    opaque: new Set(extra.opaque ?? []),
    symlinks: new Map(Object.entries(extra.links ?? {})),
  };
}

describe('FinalView', () => {
  it('a whiteout deletes a file of a lower layer, and says which layer did', () => {
    const view = new FinalView([
      layer({ '/tmp': 'dir', '/tmp/x': 'file' }),
      layer({ '/etc': 'dir' }),
      layer({}, { whiteouts: ['/tmp/x'] }),
    ]);
    expect(view.removedBy(0, '/tmp/x')).toBe(2);
    expect(view.lookup('/tmp/x')).toBeUndefined();
    expect(view.lookup('/tmp')).toEqual({ layer: 0, kind: 'dir' });
  });
  it('a whiteout of a directory deletes everything below it', () => {
    const view = new FinalView([layer({ '/opt/a/b': 'file' }), layer({}, { whiteouts: ['/opt/a'] })]);
    expect(view.removedBy(0, '/opt/a/b')).toBe(1);
  });
  it('an opaque directory hides what lower layers put in it, not what its own layer puts', () => {
    const view = new FinalView([
      layer({ '/app': 'dir', '/app/old': 'file', '/keep': 'file' }),
      layer({ '/app': 'dir', '/app/new': 'file' }, { opaque: ['/app'] }),
    ]);
    expect(view.removedBy(0, '/app/old')).toBe(1);
    expect(view.removedBy(0, '/keep')).toBeUndefined();
    expect(view.removedBy(1, '/app/new')).toBeUndefined();
    expect(view.lookup('/app/new')).toEqual({ layer: 1, kind: 'file' });
    expect(view.lookup('/app/old')).toBeUndefined();
  });
  it('a later entry at the same path replaces the file; a directory entry above does not', () => {
    const view = new FinalView([
      layer({ '/usr/bin/x': 'file', '/usr/bin/y': 'file' }),
      layer({ '/usr': 'dir', '/usr/bin': 'dir', '/usr/bin/x': 'file' }),
    ]);
    expect(view.removedBy(0, '/usr/bin/x')).toBe(1);
    expect(view.removedBy(0, '/usr/bin/y')).toBeUndefined();
  });
  it('a file or link put where a directory was hides that directory’s lower content', () => {
    const view = new FinalView([
      layer({ '/srv/data/f': 'file' }),
      layer({ '/srv': 'symlink' }, { links: { '/srv': '/var' } }),
    ]);
    expect(view.removedBy(0, '/srv/data/f')).toBe(1);
  });
  it('resolves symlinks inside the image, absolute ones from its root', () => {
    const view = new FinalView([
      layer(
        {
          '/usr': 'dir',
          '/usr/local': 'dir',
          '/usr/local/bin': 'dir',
          '/usr/local/bin/start.sh': 'file',
          '/usr/bin': 'dir',
          '/usr/bin/sh': 'file',
          '/start': 'symlink',
          '/bin': 'symlink',
        },
        { links: { '/start': 'usr/local/bin/start.sh', '/bin': '/usr/bin' } },
      ),
    ]);
    expect(view.resolve('/start')).toMatchObject({ found: true, path: '/usr/local/bin/start.sh' });
    expect(view.resolve('/bin/sh')).toMatchObject({ found: true, path: '/usr/bin/sh' });
    expect(view.resolve('/nothing')).toMatchObject({ found: false });
  });
  it('stops at a symlink loop instead of following it forever', () => {
    const view = new FinalView([
      layer({ '/a': 'symlink', '/b': 'symlink' }, { links: { '/a': '/b', '/b': 'a' } }),
    ]);
    expect(view.resolve('/a')).toEqual({ found: false, loop: true, path: '/a' });
  });
});
