// Tests for image-env: nginx's PATH and version, a CUDA image's and a shop's settings are clean; a
// pool URL with a wallet, and DONATE_LEVEL/ALGO spelled as variable names, give one finding per image;
// without an image section, skipped.
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
import { imageEnv } from './image-env.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('image-env', () => {
  it('clean: nginx, a CUDA base image and an application with URLs and ports in its env', () => {
    const cuda = imageWith({
      ref: 'docker.io/nvidia/cuda:12.2.0-runtime-ubuntu22.04',
      config: {
        env: [
          'CUDA_VERSION=12.2.0',
          'NVIDIA_REQUIRE_CUDA=cuda>=12.2 brand=tesla,driver>=470',
          'NV_CUDA_CUDART_VERSION=12.2.53-1',
          'NVIDIA_VISIBLE_DEVICES=all',
        ],
      },
    });
    const shop = imageWith({
      ref: 'registry.example/shop:3',
      config: {
        env: [
          'DATABASE_URL=postgres://shop@db:5432/shop',
          'PORT=3333',
          'CURRENCY=EUR',
          'PIP_INDEX_URL=https://pypi.org/simple',
        ],
      },
    });
    expect(runDetectors(imageSnapshot([nginxImage(), cuda, shop]), ruleset, [imageEnv])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a pool URL and a wallet; miner options spelled as variable names', () => {
    const pool = imageWith({
      ref: 'docker.io/evil/xmr:latest',
      config: {
        env: [
          'PATH=/usr/bin:/bin',
          'POOL_URL=stratum+tcp://pool.supportxmr.com:3333',
          `WALLET=${MONERO_WALLET}`,
        ],
      },
    });
    const named = imageWith({
      ref: 'docker.io/evil/quiet:2',
      config: { env: ['XMRIG_DONATE_LEVEL=1', 'ALGO=rx/0'] },
    });
    const { findings } = runDetectors(imageSnapshot([pool, named]), ruleset, [imageEnv]);
    expect(findings).toHaveLength(2);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byImage = new Map(findings.map((f) => [f.data?.image, f]));
    const p = byImage.get('docker.io/evil/xmr:latest')!;
    expect(p).toMatchObject({
      kind: 'container-image',
      level: 'high',
      basis: 'config',
      messageId: 'minerSettings',
      data: { digest: pool.digest, variables: 'POOL_URL, WALLET', carries: 'open-source-miner' },
      remediate: [],
    });
    expect(p.evidence).toContainEqual({
      type: 'match',
      field: 'env WALLET',
      value: MONERO_WALLET,
      ioc: 'iocs/wallet-patterns.yml: monero-standard',
    });
    expect(p.message['zh-CN']).toContain('在环境变量（POOL_URL, WALLET）中设置了矿机参数');
    const n = byImage.get('docker.io/evil/quiet:2')!;
    expect(n.level).toBe('high');
    expect(n.data).toMatchObject({ variables: 'XMRIG_DONATE_LEVEL, ALGO' });
    // The variable is shown as the image has it; the indicator it spells is named in the ioc.
    expect(n.evidence).toContainEqual({
      type: 'match',
      field: 'env XMRIG_DONATE_LEVEL',
      value: 'XMRIG_DONATE_LEVEL=1',
      ioc: 'iocs/miner-args.yml: --donate-level',
    });
    expect(n.message.en).toBe(
      'docker.io/evil/quiet:2 sets miner settings in its environment (XMRIG_DONATE_LEVEL, ALGO): XMRIG_DONATE_LEVEL=1, ALGO=rx/0',
    );
  });

  it('skipped: an image target whose archive could not be read; not applicable on a host', () => {
    expect(runDetectors(unreadImageSnapshot(), ruleset, [imageEnv])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'image-env', missing: ['image'] }],
    });
    expect(runDetectors(makeSnapshot({}), ruleset, [imageEnv])).toEqual({ findings: [], skipped: [] });
  });
});
