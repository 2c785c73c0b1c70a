// The Kubernetes manifests under deploy/kubernetes, checked offline: every YAML document is a valid
// object of its kind (the Kubernetes OpenAPI schemas of kubernetes-models), and the pods are what a
// reviewer asks for: the node's processes (hostPID) and root (read-only at /host), no host network,
// every node (tolerations), resources, a read-only root filesystem, all capabilities dropped but the
// two reading /proc needs, no service-account token and no RBAC, one image, and a command line whose
// every flag the built CLI's `scan --help` lists. A broken manifest fails the validation.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { REPO_ROOT, ensureBuilt, runCli } from '../helpers/cli.js';

const DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes');

/** One YAML document: a Kubernetes object. */
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}
/** A document and the file it came from. */
type Doc = Manifest & { file: string };

/** The models every document must be one of; validate() throws on a schema violation. */
const MODELS: Record<string, (data: Manifest) => { validate(): void }> = {
  'v1/Namespace': (d) => new Namespace(d as never),
  'v1/ServiceAccount': (d) => new ServiceAccount(d as never),
  'scheduling.k8s.io/v1/PriorityClass': (d) => new PriorityClass(d as never),
  'networking.k8s.io/v1/NetworkPolicy': (d) => new NetworkPolicy(d as never),
  'apps/v1/DaemonSet': (d) => new DaemonSet(d as never),
  'batch/v1/CronJob': (d) => new CronJob(d as never),
};

function loadManifests(): Doc[] {
  const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
  const docs: Doc[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const data = doc.toJS() as Manifest | null;
      if (data !== null) docs.push({ ...data, file });
    }
  }
  return docs;
}

const docs = loadManifests();
const byKind = (kind: string): Doc[] => docs.filter((d) => d.kind === kind);
const one = (kind: string): Doc => {
  const found = byKind(kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

/** Every pod template of the manifests, named for messages. */
function podSpecs(): { name: string; spec: IPodSpec }[] {
  const out: { name: string; spec: IPodSpec }[] = [];
  for (const d of docs) {
    const spec = d['spec'] as {
      template?: { spec: IPodSpec };
      jobTemplate?: { spec: { template: { spec: IPodSpec } } };
    };
    if (d.kind === 'DaemonSet') out.push({ name: `${d.file} ${d.kind}`, spec: spec.template!.spec });
    if (d.kind === 'CronJob')
      out.push({ name: `${d.file} ${d.kind}`, spec: spec.jobTemplate!.spec.template.spec });
  }
  return out;
}

const containers = (): { name: string; pod: IPodSpec; c: IContainer }[] =>
  podSpecs().flatMap(({ name, spec }) => spec.containers.map((c) => ({ name, pod: spec, c })));

/** The image's ENTRYPOINT, for containers that give only args. */
function entrypoint(): string[] {
  const dockerfile = readFileSync(path.join(REPO_ROOT, 'deploy', 'container', 'Dockerfile'), 'utf8');
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  expect(m, 'the Dockerfile has an exec-form ENTRYPOINT').not.toBeNull();
  return JSON.parse(m![1]!) as string[];
}

/** The command line a container runs, as one string (a shell script included). */
const commandLine = (c: IContainer): string => [...(c.command ?? entrypoint()), ...(c.args ?? [])].join(' ');

/**
 * What the kubelet makes of a command or argument: `$(NAME)` of a variable the container defines
 * becomes its value and `$$` becomes `$` (other `$(…)` stay as written).
 */
function kubeletExpand(text: string, env: Map<string, string | undefined>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') {
      out += '$';
      i++;
    } else if (text[i] === '$' && text[i + 1] === '(') {
      const close = text.indexOf(')', i + 2);
      const name = close < 0 ? undefined : text.slice(i + 2, close);
      if (name === undefined || !env.has(name)) {
        out += '$(';
        i++;
      } else {
        out += env.get(name) ?? '';
        i = close;
      }
    } else out += text[i];
  }
  return out;
}

/** Kubernetes quantities as numbers: cores or bytes. */
function quantity(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(q));
  if (!m) return NaN;
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] as 'm'] ?? 1;
  return Number(m[1]) * unit;
}

describe('deploy/kubernetes manifests', () => {
  it('hold the objects a node scan needs, each valid against the Kubernetes schemas', () => {
    expect(new Set(docs.map((d) => d.file))).toEqual(new Set(['daemonset.yaml', 'cronjob.yaml']));
    for (const d of docs) {
      const model = MODELS[`${d.apiVersion}/${d.kind}`];
      expect(model, `${d.file}: no model for ${d.apiVersion} ${d.kind}`).toBeDefined();
      const { file: _file, ...data } = d;
      expect(() => model!(data).validate(), `${d.file} ${d.kind} ${d.metadata.name}`).not.toThrow();
    }
    for (const kind of ['Namespace', 'ServiceAccount', 'PriorityClass', 'DaemonSet', 'CronJob']) one(kind);
  });

  it('put everything in the minehunter namespace, with no RBAC and no service-account token', () => {
    expect(one('Namespace').metadata.name).toBe('minehunter');
    for (const d of docs) {
      if (d.kind !== 'Namespace' && d.kind !== 'PriorityClass')
        expect(d.metadata.namespace).toBe('minehunter');
      expect(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']).not.toContain(d.kind);
    }
    const sa = one('ServiceAccount');
    expect(sa['automountServiceAccountToken']).toBe(false);
    for (const { name, spec } of podSpecs()) {
      expect(spec.serviceAccountName, name).toBe(sa.metadata.name);
      expect(spec.automountServiceAccountToken, name).toBe(false);
    }
  });

  it('see the node: host PID namespace, host root read-only at /host, no host network', () => {
    for (const { name, spec } of podSpecs()) {
      expect(spec.hostPID, name).toBe(true);
      expect(spec.hostNetwork ?? false, name).toBe(false);
      expect(spec.hostIPC ?? false, name).toBe(false);
      const hostRoot = spec.volumes?.find((v) => v.hostPath?.path === '/');
      expect(hostRoot, name).toBeDefined();
      for (const c of spec.containers) {
        const mount = c.volumeMounts?.find((m) => m.name === hostRoot!.name);
        expect(mount, `${name} ${c.name}`).toMatchObject({ mountPath: '/host', readOnly: true });
        // Nothing else of the host is mounted.
        for (const m of c.volumeMounts ?? []) {
          const v = spec.volumes?.find((vol) => vol.name === m.name);
          expect(v?.hostPath === undefined || v === hostRoot, `${name} ${m.name}`).toBe(true);
        }
      }
    }
  });

  it('run on every node, control-plane included, above ordinary pods', () => {
    const priorityClass = one('PriorityClass');
    const value = priorityClass['value'] as number;
    expect(value).toBeGreaterThan(0);
    // Modest: far below the system classes (system-cluster-critical is 2000000000).
    expect(value).toBeLessThanOrEqual(1_000_000);
    expect(priorityClass['globalDefault']).toBe(false);
    for (const { name, spec } of podSpecs()) {
      expect(spec.tolerations, name).toContainEqual({ operator: 'Exists' });
      expect(spec.priorityClassName, name).toBe(priorityClass.metadata.name);
    }
  });

  it('set requests and limits within them', () => {
    for (const { name, c } of containers()) {
      const { requests, limits } = c.resources ?? {};
      for (const r of ['cpu', 'memory']) {
        const req = quantity(requests?.[r]);
        const lim = quantity(limits?.[r]);
        expect(req, `${name} ${r} request`).toBeGreaterThan(0);
        expect(lim, `${name} ${r} limit`).toBeGreaterThanOrEqual(req);
      }
    }
    const ds = containers().find(({ name }) => name.includes('DaemonSet'))!.c;
    expect(ds.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '384Mi' },
    });
  });

  it('run as root with a read-only root filesystem, all capabilities dropped but SYS_PTRACE and DAC_READ_SEARCH', () => {
    for (const { name, pod, c } of containers()) {
      const sc = c.securityContext ?? {};
      expect(sc.runAsUser, name).toBe(0);
      expect(sc.readOnlyRootFilesystem, name).toBe(true);
      expect(sc.privileged ?? false, name).toBe(false);
      expect(sc.allowPrivilegeEscalation, name).toBe(false);
      expect(sc.capabilities?.drop, name).toEqual(['ALL']);
      expect([...(sc.capabilities?.add ?? [])].sort(), name).toEqual(['DAC_READ_SEARCH', 'SYS_PTRACE']);
      expect(pod.securityContext?.seccompProfile?.type, name).toBe('RuntimeDefault');
      // The only writes: cache and state, into an emptyDir.
      const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
      for (const key of ['XDG_CACHE_HOME', 'XDG_STATE_HOME']) {
        const dir = env.get(key);
        expect(dir, `${name} ${key}`).toBeDefined();
        const mount = c.volumeMounts?.find((m) => dir!.startsWith(`${m.mountPath}/`));
        const volume = pod.volumes?.find((v) => v.name === mount?.name);
        expect(volume?.emptyDir, `${name} ${key}=${dir} lies in an emptyDir`).toBeDefined();
      }
    }
  });

  it('use one image in both manifests', () => {
    const images = new Set(containers().map(({ c }) => c.image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^[a-z0-9.-]+\/[a-z0-9/._-]+:[\w.-]+$/);
    expect(new Set(containers().map(({ name }) => name.split(' ')[0]))).toEqual(
      new Set(['daemonset.yaml', 'cronjob.yaml']),
    );
  });

  it('scan /host with JSON lines: the DaemonSet in a loop, the CronJob a full scan one at a time', () => {
    for (const { name, c } of containers()) {
      const line = commandLine(c);
      expect(line, name).toMatch(/\bminehunter scan\b/);
      expect(line, name).toMatch(/ --root \/host\b/);
      expect(line, name).toMatch(/ --format jsonl\b/);
    }
    // The shell gets the script as written: no `$$` or `$(VAR)` for the kubelet to rewrite.
    for (const { name, c } of containers()) {
      const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
      for (const part of [...(c.command ?? []), ...(c.args ?? [])])
        expect(kubeletExpand(part, env), name).toBe(part);
    }
    const cron = one('CronJob');
    expect((cron['spec'] as { concurrencyPolicy: string }).concurrencyPolicy).toBe('Forbid');
    const cronLine = commandLine(containers().find(({ name }) => name.includes('CronJob'))!.c);
    expect(cronLine).toContain('--full');
    const dsLine = commandLine(containers().find(({ name }) => name.includes('DaemonSet'))!.c);
    expect(dsLine).toMatch(/while :; do[\s\S]*sleep/);
  });

  describe('with the built CLI', () => {
    let scanHelp = '';
    beforeAll(async () => {
      await ensureBuilt();
      const run = await runCli(['scan', '--help', '--lang', 'en']);
      expect(run.code, run.stderr).toBe(0);
      scanHelp = run.stdout;
    }, 300_000);

    it('pass only flags that `minehunter scan` accepts, and jsonl is one of its formats', () => {
      const accepted = new Set(scanHelp.match(/--[a-z][a-z0-9-]*/g));
      expect(accepted.has('--root')).toBe(true);
      expect(scanHelp.replace(/\s+/g, ' ')).toMatch(/choices: "text", "json", "jsonl"/);
      for (const { name, c } of containers()) {
        const flags = commandLine(c).match(/(?<![\w-])--[a-z][a-z0-9-]*/g) ?? [];
        expect(flags.length, name).toBeGreaterThan(0);
        for (const flag of flags) expect(accepted.has(flag), `${name}: ${flag}`).toBe(true);
      }
    });
  });

  describe('the validation can fail', () => {
    const daemonSet = (): Doc => structuredClone(one('DaemonSet'));
    const validate = (d: Doc) => {
      const { file: _file, ...data } = d;
      return () => new DaemonSet(data as never).validate();
    };

    it('accepts the DaemonSet as written', () => {
      expect(validate(daemonSet())).not.toThrow();
    });

    it('refuses a DaemonSet without a selector', () => {
      const broken = daemonSet();
      delete (broken['spec'] as Record<string, unknown>)['selector'];
      expect(validate(broken)).toThrow(/selector/);
    });

    it('refuses a DaemonSet whose hostPID is not a boolean', () => {
      const broken = daemonSet();
      (broken['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['hostPID'] = 'yes';
      expect(validate(broken)).toThrow(/hostPID/);
    });

    it('refuses a container without a name', () => {
      const broken = daemonSet();
      const spec = (broken['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
        .template.spec;
      delete spec.containers[0]!['name'];
      expect(validate(broken)).toThrow(/name/);
    });
  });
});
