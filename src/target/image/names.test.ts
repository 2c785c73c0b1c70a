// Entry-name normalisation and whiteout parsing of the image reader.
import { describe, expect, it } from 'vitest';
import { ancestorsOf, archiveKey, archiveLinkTarget, normaliseEntryName, whiteoutOf } from './names.js';

describe('normaliseEntryName', () => {
  it('drops ./ and / prefixes, which tools write, and says when the name was absolute', () => {
    expect(normaliseEntryName('./usr/bin/x')).toEqual({ ok: true, path: '/usr/bin/x', absolute: false });
    expect(normaliseEntryName('/usr/bin/x')).toEqual({ ok: true, path: '/usr/bin/x', absolute: true });
    expect(normaliseEntryName('usr//bin/./x/')).toEqual({ ok: true, path: '/usr/bin/x', absolute: false });
  });
  it('resolves .. inside the image and refuses one that climbs above the root', () => {
    expect(normaliseEntryName('a/../b')).toMatchObject({ ok: true, path: '/b' });
    expect(normaliseEntryName('../../etc/passwd')).toEqual({ ok: false, reason: 'path-traversal' });
    expect(normaliseEntryName('/../etc/passwd')).toEqual({ ok: false, reason: 'path-traversal' });
    expect(normaliseEntryName('a/../../b')).toEqual({ ok: false, reason: 'path-traversal' });
  });
  it('names the root itself as carrying nothing', () => {
    expect(normaliseEntryName('./')).toEqual({ ok: false, reason: 'root' });
  });
});

describe('archive keys', () => {
  it('are relative paths of the outer archive; links resolve next to the link', () => {
    expect(archiveKey('./blobs/sha256/ab')).toBe('blobs/sha256/ab');
    expect(archiveLinkTarget('abc/layer.tar', '../def/layer.tar')).toBe('def/layer.tar');
    expect(archiveLinkTarget('abc/layer.tar', '../../x')).toBeUndefined();
  });
});

describe('whiteoutOf', () => {
  it('reads deletes, opaque markers and aufs bookkeeping', () => {
    expect(whiteoutOf('/tmp/.x/.wh.dropper.sh')).toEqual({ type: 'delete', path: '/tmp/.x/dropper.sh' });
    expect(whiteoutOf('/.wh.etc')).toEqual({ type: 'delete', path: '/etc' });
    expect(whiteoutOf('/opt/app/.wh..wh..opq')).toEqual({ type: 'opaque', dir: '/opt/app' });
    expect(whiteoutOf('/.wh..wh.plnk')).toEqual({ type: 'meta' });
    expect(whiteoutOf('/usr/bin/x')).toBeUndefined();
    expect(whiteoutOf('/a/.wh.')).toMatchObject({ type: 'bad' });
  });
  it('lists ancestors nearest the root first', () => {
    expect(ancestorsOf('/a/b/c')).toEqual(['/a', '/a/b']);
    expect(ancestorsOf('/a')).toEqual([]);
  });
});
