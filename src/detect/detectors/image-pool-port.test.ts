// Tests for image-pool-port: nginx's port 80, and Selenium's 4444 on an image that shows no mining,
// are clean; 3333 on an image whose layers carry a miner is a low signal in that image's finding;
// without an image section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import {
  XMRIG_MATCH,
  imageSnapshot,
  unreadImageSnapshot,
  imageWith,
  nginxImage,
} from '../../../test/helpers/image-snapshot-builders.js';
import { runDetectors } from '../run.js';
import { imagePoolPort } from './image-pool-port.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('image-pool-port', () => {
  it('clean: nginx on 80, a Selenium hub on 4444 with nothing else of mining', () => {
    const selenium = imageWith({
      ref: 'docker.io/selenium/hub:4.21',
      config: { exposedPorts: ['4442/tcp', '4443/tcp', '4444/tcp'], cmd: ['/opt/bin/entry_point.sh'] },
    });
    expect(runDetectors(imageSnapshot([nginxImage(), selenium]), ruleset, [imagePoolPort])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: 3333 exposed by an image that carries a miner', () => {
    const img = imageWith({
      ref: 'docker.io/evil/proxy:1',
      config: { exposedPorts: ['3333/tcp', '8080/tcp', '3333/udp'] },
      files: [{ path: '/usr/local/bin/proxy', executable: true, form: 'elf', matches: [XMRIG_MATCH] }],
    });
    const { findings } = runDetectors(imageSnapshot([img]), ruleset, [imagePoolPort]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      kind: 'container-image',
      level: 'low',
      messageId: 'poolPorts',
      data: { image: 'docker.io/evil/proxy:1', ports: '3333/tcp' },
      remediate: [],
    });
    expect(f!.evidence).toContainEqual(
      expect.objectContaining({ type: 'match', field: 'config ExposedPorts', value: '3333/tcp' }),
    );
  });

  it('skipped: an image target whose archive could not be read; not applicable on a host', () => {
    expect(runDetectors(unreadImageSnapshot(), ruleset, [imagePoolPort])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'image-pool-port', missing: ['image'] }],
    });
    expect(runDetectors(makeSnapshot({}), ruleset, [imagePoolPort])).toEqual({ findings: [], skipped: [] });
  });
});
