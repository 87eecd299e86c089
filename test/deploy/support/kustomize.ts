import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { findExecutable } from './executable.js';

/** Kustomize v5 is what the manifests are written for (labels, patches with targets). */
const MIN_MAJOR = 5;

export interface Kustomize {
  /** `kubectl kustomize` or `kustomize build`, with the kustomize version, or why neither is usable. */
  command?: string[];
  version?: string;
  unavailable?: string;
}

function major(version: string): number {
  return Number(/v?(\d+)/.exec(version)?.[1] ?? 0);
}

export function findKustomize(): Kustomize {
  const kustomize = findExecutable('kustomize');
  if (kustomize) {
    const version = execFileSync(kustomize, ['version'], { encoding: 'utf8' }).trim();
    if (major(version) >= MIN_MAJOR) return { command: [kustomize, 'build'], version };
  }
  const kubectl = findExecutable('kubectl');
  if (!kubectl) return { unavailable: 'neither kubectl nor kustomize is on PATH' };
  const info = JSON.parse(execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { kustomizeVersion?: string };
  const version = info.kustomizeVersion ?? '';
  if (major(version) < MIN_MAJOR) return { unavailable: `kubectl's kustomize is ${version || 'unknown'}; v${MIN_MAJOR} or later is needed (kubectl 1.27+)` };
  return { command: [kubectl, 'kustomize'], version };
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // Manifests are checked field by field below; a full typing of Kubernetes objects is not worth it here.
  spec?: any;
  data?: Record<string, string>;
}

export function render(k: Kustomize, dir: string): K8sObject[] {
  const [cmd, ...args] = k.command!;
  const out = execFileSync(cmd!, [...args, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return YAML.parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}
