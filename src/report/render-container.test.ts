// A finding about a process in a container names the container in every output: the text report in
// English and Chinese prints it under the process, and the JSON report carries it in the process
// evidence. Built end to end from the container-node fixture (collect, detect, report).
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from '../collect/index.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../collect/test-helpers.js';
import type { Finding } from '../model/finding.js';
import { analyzeSnapshot, prepareAnalysis } from '../pipeline/analyze.js';
import type { Report } from './model.js';
import { renderText } from './render-text.js';

const WORKER_ID = '7d088d429d135c28d268b18742dafb8e32caffacb1ecb0c2972c21ca4e03b168';
let report: Report;
let miner: Finding | undefined;

beforeAll(async () => {
  const snapshot = await collectSnapshot({
    root: path.join(FIXTURE_ROOTS, 'container-node'),
    now: FIXTURE_NOW,
    toolVersion: '9.9.9',
  });
  const analysis = await prepareAnalysis({ iocDirs: [], allowFiles: [], optionalAllowFiles: [] });
  report = analyzeSnapshot(snapshot, analysis, { toolVersion: '9.9.9', now: FIXTURE_NOW() });
  miner = report.findings.find((f) => f.evidence.some((e) => e.type === 'process' && e.pid === 3300));
});

describe('container of a finding in the reports', () => {
  it('JSON: the process evidence carries runtime, full id, name, image, pod and namespace', () => {
    expect(miner).toBeDefined();
    const json = JSON.parse(JSON.stringify(report)) as Report;
    const f = json.findings.find((x) => x.fingerprint === miner?.fingerprint);
    expect(f?.evidence.find((e) => e.type === 'process')).toMatchObject({
      pid: 3300,
      container: {
        runtime: 'containerd',
        id: WORKER_ID,
        name: 'worker',
        image: 'docker.io/evil/worker:latest',
        pod: 'miner-7d9f',
        namespace: 'default',
      },
    });
  });

  it('text, English and Chinese: the container line under the process', () => {
    const label = 'containerd 7d088d429d13 worker (docker.io/evil/worker:latest) pod default/miner-7d9f';
    const en = renderText(report, { lang: 'en', color: false });
    const zh = renderText(report, { lang: 'zh-CN', color: false });
    expect(en).toContain(`container: ${label}`);
    expect(zh).toContain(`容器: ${label}`);
  });

  it('clean twin: the same finding about a host process prints no container line', () => {
    const host = structuredClone(report);
    for (const f of host.findings) for (const e of f.evidence) if (e.type === 'process') delete e.container;
    expect(renderText(host, { lang: 'en', color: false })).not.toMatch(/^\s+container: /m);
    expect(renderText(host, { lang: 'zh-CN', color: false })).not.toContain('容器:');
    expect(JSON.stringify(host)).not.toContain('"container"');
  });
});
