import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { HealthRegistry } from '@engined/resilience/health';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IService } from 'kubernetes-models/v1';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { validateEnv } from '../../apps/engined/src/config/env.validation.js';
import { DAEMON_ENV } from '../../apps/shared/src/config/env.schema.js';
import type { EnginedApp } from '../../apps/engined/src/app.factory.js';
import { checkHealth, createHealthClient, type HealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { Cleanup } from '../app/support/cleanup.js';
import { selectorsOf } from '../app/support/promql.js';
import { RecordsClient } from '../app/support/records-client.js';
import { FakeClock, startEnginedApp } from '../app/support/engined-test-app.js';
import { all, DEPLOY_DIR, type DeployBase, find, loadDeployBase, parseManifests, ROOT, selects, validateManifest } from './support/manifests.js';

/** Settings the Deployment takes from the Secret engined-secrets rather than from the ConfigMap. */
const SECRET_SETTINGS = ['DATABASE_URL', 'ADMIN_TOKEN', 'HEALTH_TOKEN'];
/** Settings of the embedded database (`PGLITE_*`), which never runs in the cluster (DATABASE_URL is required there). */
const isEmbeddedOnly = (name: string) => name.startsWith('PGLITE_');
/** Connections of the breaker-override store besides the pool (PostgresOverrideStore: one writer, one LISTEN). */
const OVERRIDE_STORE_CONNECTIONS = 2;
/** `kubectl kustomize` takes well under a second; this only bounds a hang. */
const KUSTOMIZE_TIMEOUT_MS = 30_000;
/** PostgreSQL's default `max_connections`. */
const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100;
/** Starting the daemon creates its embedded database: seconds, more on a loaded machine (nothing waits on time). */
const DAEMON_START_MS = 90_000;
/** What the Secret holds, for validating the ConfigMap as the daemon would see it. */
const PLACEHOLDER_SECRETS = { DATABASE_URL: 'postgres://engined:secret@postgres:5432/engined', ADMIN_TOKEN: 'a'.repeat(32) };

type Container = NonNullable<NonNullable<NonNullable<IDeployment['spec']>['template']['spec']>['containers']>[number];

/** Rows `| \`NAME\` | ...` of docs/configuration.md and `#NAME=` lines of .env.example: the documented settings. */
async function documentedSettings(): Promise<{ page: Set<string>; example: Set<string> }> {
  const page = await readFile(join(ROOT, 'docs/configuration.md'), 'utf8');
  const example = await readFile(join(ROOT, '.env.example'), 'utf8');
  return {
    page: new Set([...page.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1]!)),
    example: new Set([...example.matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!)),
  };
}

/** `kubectl kustomize <dir>`: the objects kustomize builds, as YAML. */
async function kustomize(dir: string): Promise<string> {
  try {
    return (await promisify(execFile)('kubectl', ['kustomize', dir], { timeout: KUSTOMIZE_TIMEOUT_MS })).stdout;
  } catch (error) {
    throw new Error(`kubectl kustomize ${dir} failed (kubectl, with kustomize built in, comes with the machine image): ${(error as Error).message}`, { cause: error });
  }
}

describe('deploy/k8s', () => {
  let base: DeployBase;
  let deployment: IDeployment;
  let container: Container;
  let env: Record<string, string>;

  beforeAll(async () => {
    base = await loadDeployBase();
    deployment = find<IDeployment>(base, 'Deployment', 'engined');
    container = deployment.spec!.template.spec!.containers.find((c) => c.name === 'engined')!;
    env = find<IConfigMap>(base, 'ConfigMap', 'engined-env').data ?? {};
  });

  describe('manifests', () => {
    it('lists every manifest file of deploy/k8s in kustomization.yaml, and nothing else', () => {
      expect(base.kustomization.resources.toSorted()).toEqual(base.files);
      expect(base.kustomization).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' });
    });

    it('builds with kustomize (kubectl kustomize): the same objects, labelled, with the image tagged as the package\'s version', async () => {
      const built = parseManifests('kubectl kustomize', await kustomize(DEPLOY_DIR));
      const names = (documents: typeof built) => documents.map(({ manifest }) => `${manifest.kind}/${manifest.metadata.name}`).toSorted();
      expect(names(built)).toEqual(names(base.documents));
      for (const { manifest } of built) expect(manifest.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'engined', 'app.kubernetes.io/part-of': 'engined' });
      const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      const pod = built.find(({ manifest }) => manifest.kind === 'Deployment')!.manifest as unknown as IDeployment;
      expect(pod.spec!.template.spec!.containers.map((c) => c.image)).toEqual([`engined:${version}`]);
      // What kustomize emits still validates.
      for (const document of built) expect(() => validateManifest(document)).not.toThrow();
    });

    it('builds the overlay example of docs/production.md on the base: namespace, image and a patched setting', async () => {
      const page = await readFile(join(ROOT, 'docs/production.md'), 'utf8');
      const example = /```yaml\n# (overlays\/prod\/kustomization\.yaml)\n([\s\S]*?)```/.exec(page);
      expect(example).not.toBeNull();
      // The overlay where the page puts it, next to a deploy/k8s that is the repository's.
      const dir = await mkdtemp(join(tmpdir(), 'engined-overlay-'));
      try {
        await mkdir(join(dir, 'overlays/prod'), { recursive: true });
        await mkdir(join(dir, 'deploy'));
        await symlink(DEPLOY_DIR, join(dir, 'deploy/k8s'));
        await writeFile(join(dir, example![1]!), example![2]!);
        const built = parseManifests('overlay', await kustomize(join(dir, 'overlays/prod')));
        expect(built.map(({ manifest }) => manifest.metadata.namespace)).toEqual(built.map(() => 'engined'));
        expect(find<IDeployment>({ documents: built } as DeployBase, 'Deployment').spec!.template.spec!.containers[0]!.image).toBe('registry.example.com/engined:0.1.0');
        expect(find<IConfigMap>({ documents: built } as DeployBase, 'ConfigMap').data).toEqual({ ...env, DATABASE_POOL_SIZE: '8' });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('validates every object against the Kubernetes schema of its kind (ServiceMonitor: the Prometheus Operator CRD)', () => {
      expect(base.documents.map(({ manifest }) => manifest.kind).toSorted()).toEqual(
        ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceMonitor'],
      );
      for (const document of base.documents) expect(() => validateManifest(document)).not.toThrow();
    });

    it('rejects what the schemas forbid (a named port in a gRPC probe, a string replica count, an unknown kind)', () => {
      const broken = JSON.parse(JSON.stringify(deployment)) as IDeployment;
      (broken.spec!.template.spec!.containers[0]!.readinessProbe!.grpc as { port: unknown }).port = 'grpc';
      expect(() => validateManifest({ file: 'deployment.yaml', manifest: broken as never })).toThrow(
        'deployment.yaml: apps/v1/Deployment engined: data/spec/template/spec/containers/0/readinessProbe/grpc/port must be integer',
      );
      const [hpa] = parseManifests('hpa.yaml', 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec: {scaleTargetRef: {kind: Deployment, name: x}, maxReplicas: "3"}\n');
      expect(() => validateManifest(hpa!)).toThrow('data/spec/maxReplicas must be integer');
      const [job] = parseManifests('job.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\n');
      expect(() => validateManifest(job!)).toThrow('job.yaml: no schema for batch/v1/Job');
      expect(() => parseManifests('bad.yaml', 'a: [1, 2\n')).toThrow(/^bad\.yaml: /);
    });

    it('wires the objects together: selectors match the pods, ports resolve to named container ports, references exist', () => {
      const podLabels = deployment.spec!.template.metadata!.labels!;
      expect(selects(deployment.spec!.selector.matchLabels!, podLabels)).toBe(true);
      const containerPorts = new Map(container.ports!.map((p) => [p.name!, p.containerPort]));

      const services = all<IService>(base, 'Service');
      for (const service of services) {
        expect(selects(service.spec!.selector!, podLabels)).toBe(true);
        for (const port of service.spec!.ports!) expect(containerPorts.has(port.targetPort as string)).toBe(true);
      }
      const pdb = find<IPodDisruptionBudget>(base, 'PodDisruptionBudget');
      expect(selects(pdb.spec!.selector!.matchLabels!, podLabels)).toBe(true);
      const hpa = find<IHorizontalPodAutoscaler>(base, 'HorizontalPodAutoscaler');
      expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata!.name });
      // An applied replicas field would reset the autoscaler's choice at every `kubectl apply`.
      expect(deployment.spec!.replicas).toBeUndefined();
      // maxUnavailable 1 of at least 3 replicas: a drain never takes the service below 2.
      expect(pdb.spec!.maxUnavailable).toBe(1);
      expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(3);

      // The ServiceMonitor scrapes through exactly one Service (one scrape per pod), by a port that Service has.
      const monitor = find<IServiceMonitor>(base, 'ServiceMonitor');
      const scraped = services.filter((s) => selects(monitor.spec.selector.matchLabels!, s.metadata!.labels));
      expect(scraped.map((s) => s.metadata!.name)).toEqual(['engined']);
      for (const endpoint of monitor.spec.endpoints!) expect(scraped[0]!.spec!.ports!.map((p) => p.name)).toContain(endpoint.port);

      expect(container.envFrom).toEqual([{ configMapRef: { name: 'engined-env' } }]);
      const fromSecret = container.env!.filter((e) => e.valueFrom?.secretKeyRef !== undefined);
      expect(fromSecret.map((e) => [e.name, e.valueFrom!.secretKeyRef!.name, e.valueFrom!.secretKeyRef!.key])).toEqual(
        SECRET_SETTINGS.map((name) => [name, 'engined-secrets', name]),
      );
      // Only HEALTH_TOKEN may be missing from the Secret (it is needed with HEALTH_DETAILS=token only).
      expect(fromSecret.filter((e) => e.valueFrom!.secretKeyRef!.optional === true).map((e) => e.name)).toEqual(['HEALTH_TOKEN']);
    });

    it('runs the container as a non-root user without privileges', () => {
      const pod = deployment.spec!.template.spec!;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    });
  });

  describe('configuration', () => {
    it('has exactly the daemon\'s settings in the ConfigMap, besides the secrets and the embedded database\'s', async () => {
      // The daemon's settings: its schema, which env.schema.spec checks against the documentation.
      const daemon = new Set(Object.keys(DAEMON_ENV));
      const { page, example } = await documentedSettings();
      expect([...daemon].filter((name) => !page.has(name) || !example.has(name))).toEqual([]);
      // ... and the ConfigMap has each one but the secrets and the embedded database's, and nothing else.
      const expected = new Set([...daemon].filter((name) => !SECRET_SETTINGS.includes(name) && !isEmbeddedOnly(name)));
      const keys = Object.keys(env);
      // A setting added to the schema needs its line in deploy/k8s/configmap.yaml, with its production value.
      expect({ missingFromConfigMap: [...expected].filter((name) => !(name in env)), notASetting: keys.filter((name) => !expected.has(name)) })
        .toEqual({ missingFromConfigMap: [], notASetting: [] });
      for (const name of [...SECRET_SETTINGS, 'PGLITE_DATA_DIR', 'PGLITE_PORT']) expect(daemon).toContain(name);
    });

    it('is a valid configuration: the daemon would start with it (and the Secret\'s values)', () => {
      const config = validateEnv({ ...env, ...PLACEHOLDER_SECRETS });
      expect(config.grpc).toMatchObject({ host: '0.0.0.0', port: 9003 });
      expect(config.http).toEqual({ host: '0.0.0.0', port: 9004 });
      expect(config.admin.token).toBe(PLACEHOLDER_SECRETS.ADMIN_TOKEN);
    });

    it('gives the kubelet\'s SIGKILL no chance before the drain and the shutdown timeout have passed', () => {
      const { shutdownDrainMs, grpc } = validateEnv({ ...env, ...PLACEHOLDER_SECRETS });
      const graceSeconds = deployment.spec!.template.spec!.terminationGracePeriodSeconds!;
      expect(graceSeconds * 1000).toBeGreaterThanOrEqual(shutdownDrainMs + grpc.shutdownTimeoutMs);
      // The arithmetic in the comment is the ConfigMap's and the field's.
      const comment = /SHUTDOWN_DRAIN_MS \((\d+)\) \+ SHUTDOWN_TIMEOUT_MS \((\d+)\) = (\d+) s, \+ (\d+) s .* = (\d+) s\./s.exec(base.texts.get('deployment.yaml')!);
      expect(comment).not.toBeNull();
      const [, drain, timeout, sum, margin, total] = comment!.map(Number);
      expect({ drain, timeout, total }).toEqual({ drain: shutdownDrainMs, timeout: grpc.shutdownTimeoutMs, total: graceSeconds });
      expect(sum).toBe((drain! + timeout!) / 1000);
      expect(sum! + margin!).toBe(total);
    });

    it('keeps the most connections the pods can open, during a rollout at the most replicas, below PostgreSQL\'s default max_connections', () => {
      const hpa = find<IHorizontalPodAutoscaler>(base, 'HorizontalPodAutoscaler');
      const { database } = validateEnv({ ...env, ...PLACEHOLDER_SECRETS });
      const pods = hpa.spec!.maxReplicas + Number(deployment.spec!.strategy!.rollingUpdate!.maxSurge);
      const connections = pods * (database.poolSize + OVERRIDE_STORE_CONNECTIONS);
      expect(connections).toBeLessThan(POSTGRES_DEFAULT_MAX_CONNECTIONS);
      // The arithmetic in the comment is the manifests'.
      const comment = /\((\d+) \+ (\d+)\) × \((\d+) \+ (\d+)\) = (\d+) connections/.exec(base.texts.get('horizontalpodautoscaler.yaml')!);
      expect(comment?.slice(1).map(Number)).toEqual([hpa.spec!.maxReplicas, pods - hpa.spec!.maxReplicas, database.poolSize, OVERRIDE_STORE_CONNECTIONS, connections]);
    });
  });

  describe('probes and ports against the running daemon', () => {
    const cleanup = new Cleanup();
    let daemon: EnginedApp;
    let health: HealthClient;

    beforeAll(async () => {
      // The ConfigMap's settings, on loopback and ephemeral ports, with the embedded database and the
      // test defaults for real-time limits (the clock is fake: checks time out only when it is advanced).
      const replaced = new Set(['GRPC_HOST', 'HTTP_HOST', 'GRPC_PORT', 'HTTP_PORT', 'DOWNSTREAM_PORT', 'DATABASE_QUERY_TIMEOUT_MS', 'HEALTH_CHECK_TIMEOUT_MS', 'DOWNSTREAM_TIMEOUT_MS']);
      const settings = Object.fromEntries(Object.entries(env).filter(([name]) => !replaced.has(name)));
      daemon = cleanup.add(await startEnginedApp({ ...settings, LOG_LEVEL: 'warn' }, new FakeClock()), (d) => d.close());
      health = cleanup.add(createHealthClient(daemon.grpcTarget), (c) => c.close());
      await daemon.app.get(HealthRegistry).runNow();
    }, DAEMON_START_MS);
    afterAll(() => cleanup.run());

    it('probes the startup, liveness and readiness services of grpc.health.v1 on GRPC_PORT, and the daemon serves each', async () => {
      const probes = { startup: container.startupProbe!, liveness: container.livenessProbe!, readiness: container.readinessProbe! };
      for (const [group, probe] of Object.entries(probes)) {
        expect(probe.grpc).toEqual({ port: Number(env.GRPC_PORT), service: group });
        // A probe is only as good as the answer: the daemon serves that service, and it is SERVING.
        await expect(checkHealth(health, probe.grpc!.service!, 10_000)).resolves.toBe('SERVING');
      }
      expect(container.ports!.find((p) => p.name === 'grpc')!.containerPort).toBe(Number(env.GRPC_PORT));
      // A service the daemon does not publish fails (a typo in a probe would never pass).
      await expect(checkHealth(health, 'ready', 10_000)).rejects.toMatchObject({ code: status.NOT_FOUND });
    });

    it('scrapes the path and HTTP_PORT where the daemon serves its Prometheus metrics', async () => {
      const annotations = deployment.spec!.template.metadata!.annotations!;
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(Number(annotations['prometheus.io/port'])).toBe(Number(env.HTTP_PORT));
      expect(container.ports!.find((p) => p.name === 'http')!.containerPort).toBe(Number(env.HTTP_PORT));
      const monitor = find<IServiceMonitor>(base, 'ServiceMonitor');
      expect(monitor.spec.endpoints!.map((e) => e.path)).toEqual([annotations['prometheus.io/path']]);

      const response = await fetch(`${daemon.httpUrl}${annotations['prometheus.io/path']}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toMatch(/^# HELP /m);
    });

    it('alerts (docs/production.md) in valid PromQL, only on metrics the daemon exports besides kube-state-metrics\'', async () => {
      const page = await readFile(join(ROOT, 'docs/production.md'), 'utf8');
      const table = page.slice(page.indexOf('## What to alert on'));
      const expressions = [...table.matchAll(/^\| [^|]+ \| `(.+?)`(?: for [^|]+)? \|/gm)].map((match) => match[1]!.replaceAll('\\|', '|'));
      expect(expressions.length).toBeGreaterThanOrEqual(10);
      // Parsed by Prometheus' own grammar: an expression that does not parse fails here.
      const used = new Set(expressions.flatMap((expression) => selectorsOf(expression).map((selector) => selector.metric)));
      expect([...used]).toEqual(expect.arrayContaining(['health_status', 'circuit_breaker_state', 'grpc_server_handled_total', 'kube_pod_container_status_restarts_total']));
      // A call, so that the per-call series exist too.
      const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
      expect((await client.call('CreateRecord', { name: 'alerted' })).ok).toBe(true);
      const exported = new Set([...(await (await fetch(`${daemon.httpUrl}/metrics`)).text()).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));
      expect([...used].filter((name) => !name.startsWith('kube_') && !exported.has(name))).toEqual([]);
    });
  });
});
