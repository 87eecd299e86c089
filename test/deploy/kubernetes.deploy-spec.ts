import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT } from './support/grafana-dashboards.js';
import { findKustomize, render, type K8sObject } from './support/kustomize.js';
import { latfleetConfigNames } from './support/latfleet-config-names.js';

const kustomize = findKustomize();
const OVERLAYS = ['dev', 'production'] as const;
const SECRETS = new Set(['latfleet-database', 'latfleet-enrollment', 'latfleet-api-keys', 'latfleet-postgres', 'latfleet-grpc-tls', 'latfleet-grpc-ca']);
const CONFIG_NAMES = latfleetConfigNames();

interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: object;
  livenessProbe?: object;
  securityContext?: { allowPrivilegeEscalation?: boolean };
  volumeMounts?: Array<{ name: string }>;
}

const workloads = (objs: K8sObject[]) => objs.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind));
const containersOf = (o: K8sObject): Container[] => o.spec.template.spec.containers;
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.skipIf(!kustomize.command)(
  kustomize.command ? `the Kubernetes manifests (kustomize ${kustomize.version})` : `the Kubernetes manifests — SKIPPED: ${kustomize.unavailable}`,
  () => {
    // Rendered while the suite is collected (describe.each needs the objects); skipped suites render nothing.
    const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, kustomize.command ? render(kustomize, join(REPO_ROOT, 'deploy/k8s/overlays', o)) : []])) as Record<
      (typeof OVERLAYS)[number],
      K8sObject[]
    >;

    describe.each(OVERLAYS)('overlay %s', (overlay) => {
      const objs = rendered[overlay];

      it('renders control, query, the CPU agent, their Services, PDBs, the query HPA, a ConfigMap, ServiceMonitor and PrometheusRule, in one namespace', () => {
        const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
        for (const expected of [
          'Deployment/latfleet-control',
          'Deployment/latfleet-query',
          'DaemonSet/latfleet-agent-cpu',
          'Service/latfleet-control',
          'Service/latfleet-query',
          'PodDisruptionBudget/latfleet-control',
          'PodDisruptionBudget/latfleet-query',
          'HorizontalPodAutoscaler/latfleet-query',
          'ServiceMonitor/latfleet-query',
          'PrometheusRule/latfleet',
        ]) {
          expect(kinds).toContain(expected);
        }
        expect(objs.some((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('latfleet-config-'))).toBe(true);
        const namespace = objs.find((o) => o.kind === 'Namespace')!.metadata.name;
        for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(namespace);
      });

      it('gives every container resource requests, a memory limit and no privilege escalation; servers have readiness and liveness probes', () => {
        const all = workloads(objs).flatMap((w) =>
          ([...containersOf(w), ...(w.spec.template.spec.initContainers ?? [])] as Container[]).map((c) => ({ w, c, where: `${w.kind}/${w.metadata.name}/${c.name}` })),
        );
        for (const { c, where } of all) {
          expect(c.resources?.requests?.['cpu'], where).toBeDefined();
          expect(c.resources?.requests?.['memory'], where).toBeDefined();
          expect(c.resources?.limits?.['memory'], where).toBeDefined();
        }
        // the Postgres StatefulSet's image runs its own entrypoint; every other container must not escalate
        const unprivileged = all.filter(({ w }) => w.kind !== 'StatefulSet');
        expect(unprivileged.length).toBeGreaterThan(0);
        for (const { c, where } of unprivileged) expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        const servers = workloads(objs).filter((w) => w.kind === 'Deployment' || w.kind === 'StatefulSet');
        expect(servers.length).toBeGreaterThan(0);
        for (const w of servers) {
          for (const c of containersOf(w)) {
            expect(c.readinessProbe, w.metadata.name).toBeDefined();
            expect(c.livenessProbe, w.metadata.name).toBeDefined();
          }
        }
      });

      it('runs latfleet images with a pinned tag, as a non-root user', () => {
        for (const w of workloads(objs).filter((x) => x.metadata.name !== 'latfleet-postgres')) {
          expect(w.spec.template.spec.securityContext.runAsNonRoot, w.metadata.name).toBe(true);
          for (const c of containersOf(w)) expect(c.image, c.name).toMatch(/^latfleet\/(control|query|agent):[\w.-]+$/);
        }
      });

      it('sets only environment variables latfleet reads, takes credentials from Secrets and the rest from the ConfigMap', () => {
        const configMap = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('latfleet-config-'))!;
        for (const name of Object.keys(configMap.data!)) expect(CONFIG_NAMES.has(name), `ConfigMap ${name}`).toBe(true);
        for (const w of workloads(objs).filter((x) => x.metadata.name !== 'latfleet-postgres')) {
          for (const c of containersOf(w)) {
            const env = c.env ?? [];
            // NODE_NAME is the downward API's node name, not a latfleet setting
            for (const e of env.filter((x) => x.name !== 'NODE_NAME')) expect(CONFIG_NAMES.has(e.name), `${w.metadata.name}: ${e.name}`).toBe(true);
            for (const e of env.filter((x) => /TOKEN|KEYS|DATABASE_URL|PASSWORD/.test(x.name)))
              expect(e.valueFrom?.secretKeyRef, `${e.name} must come from a Secret`).toBeDefined();
            for (const ref of env.flatMap((x) => (x.valueFrom?.secretKeyRef ? [x.valueFrom.secretKeyRef.name] : []))) expect(SECRETS.has(ref), ref).toBe(true);
            expect(c.envFrom?.[0]?.configMapRef?.name, w.metadata.name).toBe(configMap.metadata.name);
          }
        }
        expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
      });

      it('wires Services, PDBs, the HPA and the ServiceMonitor to pods and ports that exist', () => {
        const pods = workloads(objs).map((w) => ({ labels: w.spec.template.metadata.labels as Record<string, string>, ports: containersOf(w).flatMap((c) => c.ports ?? []) }));
        for (const w of workloads(objs)) expect(matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels), w.metadata.name).toBe(true);
        for (const s of objs.filter((o) => o.kind === 'Service')) {
          const backing = pods.filter((p) => matches(s.spec.selector, p.labels));
          expect(backing.length, s.metadata.name).toBeGreaterThan(0);
          for (const port of s.spec.ports)
            expect(
              backing[0]!.ports.map((p) => p.name),
              `${s.metadata.name}:${port.targetPort}`,
            ).toContain(port.targetPort);
        }
        for (const pdb of objs.filter((o) => o.kind === 'PodDisruptionBudget')) {
          expect(
            pods.some((p) => matches(pdb.spec.selector.matchLabels, p.labels)),
            pdb.metadata.name,
          ).toBe(true);
        }
        const hpa = find(objs, 'HorizontalPodAutoscaler', 'latfleet-query')!;
        expect(find(objs, hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name)).toBeDefined();
        expect(find(objs, 'Deployment', 'latfleet-query')!.spec.replicas, 'the HPA owns the replica count').toBeUndefined();
        const monitor = find(objs, 'ServiceMonitor', 'latfleet-query')!;
        const service = objs.find((o) => o.kind === 'Service' && matches(monitor.spec.selector.matchLabels, o.metadata.labels))!;
        expect(service.metadata.name, 'the job label Prometheus gives the scrape, which dashboards and alerts select').toBe('latfleet-query');
        expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
        expect(monitor.spec.endpoints[0].path).toBe('/metrics');
      });

      it("carries deploy/prometheus's alert rules in its PrometheusRule", () => {
        const rules = YAML.parse(readFileSync(join(REPO_ROOT, 'deploy/prometheus/rules/latfleet.rules.yaml'), 'utf8'));
        expect(find(objs, 'PrometheusRule', 'latfleet')!.spec.groups).toEqual(rules.groups);
        const alerts = rules.groups.flatMap((g: { rules: Array<{ alert?: string }> }) => g.rules.map((r) => r.alert));
        for (const a of ['LatfleetAgentsOffline', 'LatfleetQueueStuck', 'LatfleetIngestErrors', 'LatfleetNoRecentResults']) expect(alerts).toContain(a);
      });

      it('runs the CPU agent as a DaemonSet that dials the control Service', () => {
        const agent = find(objs, 'DaemonSet', 'latfleet-agent-cpu')!;
        const env = Object.fromEntries((containersOf(agent)[0]!.env ?? []).map((e) => [e.name, e.value]));
        const [host, port] = env['LATFLEET_CONTROL_ADDRESS']!.split(':');
        const control = find(objs, 'Service', host!)!;
        expect(control.spec.ports.map((p: { port: number }) => p.port)).toContain(Number(port));
        expect(env['LATFLEET_AGENT_NAME']).toBe('$(NODE_NAME)-cpu');
      });
    });

    it('dev serves plaintext gRPC inside the cluster; production serves TLS and agents verify it', () => {
      const config = (objs: K8sObject[]) => objs.find((o) => o.kind === 'ConfigMap')!.data!;
      expect(config(rendered.dev)['LATFLEET_GRPC_INSECURE']).toBe('true');
      expect(config(rendered.production)['LATFLEET_GRPC_INSECURE']).toBeUndefined();
      const envOf = (objs: K8sObject[], kind: string, name: string) => (containersOf(find(objs, kind, name)!)[0]!.env ?? []).map((e) => e.name);
      expect(envOf(rendered.production, 'Deployment', 'latfleet-control')).toEqual(expect.arrayContaining(['LATFLEET_GRPC_TLS_CERT', 'LATFLEET_GRPC_TLS_KEY']));
      expect(envOf(rendered.production, 'DaemonSet', 'latfleet-agent-cpu')).toContain('LATFLEET_CONTROL_CA');
      const cert = find(rendered.production, 'Certificate', 'latfleet-grpc')!;
      expect(cert.spec.dnsNames).toContain('latfleet-control');
      expect(config(rendered.production)['LATFLEET_API_READ']).toBe('key');
    });
  },
);
