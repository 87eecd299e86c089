import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT } from './support/grafana-dashboards.js';
import { latfleetConfigNames } from './support/latfleet-config-names.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target: string };
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: object;
}

const DEPLOY = join(REPO_ROOT, 'deploy');
const composeText = readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8');
// Compose resolves YAML merge keys (<<), as YAML 1.1 did.
const compose = YAML.parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const dockerfile = readFileSync(join(DEPLOY, 'docker/Dockerfile'), 'utf8');
const LATFLEET = ['control', 'query', 'agent'];

describe('deploy/compose.yaml', () => {
  it('is valid under the Compose Specification schema', () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/deploy/schema/compose-spec.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
    validate(compose);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('runs postgres, prometheus, grafana, two control replicas, the query service and one CPU agent', () => {
    expect(Object.keys(services).sort()).toEqual(['agent', 'control', 'grafana', 'postgres', 'prometheus', 'query']);
    expect(services['control']!.deploy?.replicas).toBe(2);
    expect(services['agent']!.deploy?.replicas ?? 1).toBe(1);
    expect(services['agent']!.environment?.['LATFLEET_CONTROL_ADDRESS']).toBe('control:50051');
  });

  it('builds each latfleet service from a target of the one multi-stage Dockerfile', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
    expect(stages).toEqual(expect.arrayContaining(['build', 'runtime', 'control', 'query', 'agent']));
    for (const name of LATFLEET) {
      const build = services[name]!.build!;
      expect(build.target).toBe(name);
      expect(resolve(DEPLOY, build.context, build.dockerfile)).toBe(join(DEPLOY, 'docker/Dockerfile'));
    }
  });

  it('sets only environment variables latfleet reads, and takes every secret from deploy/.env, required', () => {
    const names = latfleetConfigNames();
    for (const name of LATFLEET) {
      const environment = Object.entries(services[name]!.environment ?? {});
      for (const [key] of environment) expect(names.has(key), `${name}: ${key}`).toBe(true);
      for (const [key, value] of environment.filter(([k]) => /PASSWORD|TOKEN|KEYS|DATABASE_URL/.test(k))) {
        expect(String(value), `${name}: ${key}`).toMatch(/\$\{\w+:\?[^}]+\}/);
      }
    }
    const example = readFileSync(join(DEPLOY, 'compose.env.example'), 'utf8');
    for (const [, variable] of composeText.matchAll(/\$\{(\w+):\?/g)) expect(example, `compose.env.example lacks ${variable}`).toMatch(new RegExp(`^${variable}=`, 'm'));
  });

  it('mounts files that exist in the repository', () => {
    for (const [name, service] of Object.entries(services)) {
      const sources = (service.volumes ?? []).map((v) => v.split(':')[0]!);
      // a path is a bind mount of a repository file; anything else names a volume of the compose file
      for (const source of sources.filter((s) => s.startsWith('.'))) expect(existsSync(resolve(DEPLOY, source)), `${name}: ${source}`).toBe(true);
      for (const source of sources.filter((s) => !s.startsWith('.'))) expect(compose.volumes, `${name}: named volume ${source}`).toHaveProperty(source);
    }
  });

  it('starts query and the agent once control is healthy, and control once Postgres is', () => {
    expect(services['control']!.depends_on?.['postgres']?.condition).toBe('service_healthy');
    expect(services['query']!.depends_on?.['control']?.condition).toBe('service_healthy');
    expect(services['agent']!.depends_on?.['control']?.condition).toBe('service_healthy');
    expect(services['postgres']!.healthcheck).toBeDefined();
    expect(dockerfile).toMatch(/FROM runtime AS control[\s\S]*?HEALTHCHECK/);
  });
});

describe('deploy/docker/Dockerfile', () => {
  it('pins its Node base image to the version the project runs on', () => {
    const engines = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).engines.node as string;
    const image = /^ARG NODE_IMAGE=node:(\S+)$/m.exec(dockerfile)?.[1];
    expect(image).toMatch(/^\d+\.\d+\.\d+-bookworm-slim$/);
    expect(image!.startsWith(engines.replace('>=', ''))).toBe(true);
  });

  it('copies only what exists, and starts each process from its built entry point as a non-root user', () => {
    for (const [, args] of dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)) {
      for (const src of args!.trim().split(/\s+/).slice(0, -1)) expect(existsSync(join(REPO_ROOT, src)), src).toBe(true);
    }
    for (const name of LATFLEET) expect(dockerfile).toContain(`"dist/${name}/main.js"`);
    expect(dockerfile).toMatch(/FROM \$\{NODE_IMAGE\} AS runtime[\s\S]*?USER node/);
    expect(
      dockerfile
        .trimEnd()
        .split('\n')
        .filter((l) => /^USER /.test(l))
        .at(-1),
    ).toBe('USER node');
  });

  it('installs dependencies with their install scripts off, as package.json asks', () => {
    expect(dockerfile).toMatch(/npm ci --ignore-scripts/);
    expect(existsSync(join(DEPLOY, 'docker/Dockerfile.dockerignore'))).toBe(true);
  });
});
