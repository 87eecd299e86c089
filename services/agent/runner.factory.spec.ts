import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config/index.js';
import { OrtNodeRunner } from './ort-node.runner.js';
import { createRunner } from './runner.factory.js';
import { AndroidAdbRunner, CommandRunner, LiteRtRunner } from './runners/index.js';

describe(createRunner.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'latfleet-runner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  it('runs models in process by default', () => {
    expect(createRunner(loadConfig({}))).toBeInstanceOf(OrtNodeRunner);
  });

  it('runs TFLite models in process with LiteRT when asked', () => {
    const sut = createRunner(loadConfig({ LATFLEET_AGENT_RUNNER: 'litert' }));
    expect(sut).toBeInstanceOf(LiteRtRunner);
    expect(sut.name).toBe('litert');
  });

  it('reaches a phone over adb with the configured serial and big-core mask', () => {
    const sut = createRunner(
      loadConfig({ LATFLEET_AGENT_RUNNER: 'android-adb', LATFLEET_ADB_SERIAL: 'ABC123', LATFLEET_ADB_CPU_MASK: '0xf0', LATFLEET_ORT_PERF_TEST: '/opt/perf_test' }),
    );
    expect(sut).toBeInstanceOf(AndroidAdbRunner);
    expect(sut.name).toBe('android-adb');
  });

  it('refuses an adb runner without serial or mask, naming the variables', () => {
    expect(() => loadConfig({ LATFLEET_AGENT_RUNNER: 'android-adb', LATFLEET_ADB_SERIAL: 'ABC123' })).toThrow(/LATFLEET_ADB_CPU_MASK/);
    expect(() => loadConfig({ LATFLEET_ADB_CPU_MASK: 'big cores' })).toThrow(/LATFLEET_ADB_CPU_MASK="big cores"/);
  });

  it('drives a vendor tool from a validated options file', () => {
    const ok = file('rknn.json', { runtimeVersion: 'librknnrt 2.3.0', timed: { argv: ['rknn_benchmark', '{model}', '', '{runs}', '1'], output: 'rknn-benchmark' } });
    expect(createRunner(loadConfig({ LATFLEET_AGENT_RUNNER: 'command', LATFLEET_COMMAND_RUNNER_CONFIG: ok }))).toBeInstanceOf(CommandRunner);
    const bad = file('bad.json', { runtimeVersion: 'x', timed: { argv: ['tool', '{model}'], output: 'csv' } });
    expect(() => createRunner(loadConfig({ LATFLEET_AGENT_RUNNER: 'command', LATFLEET_COMMAND_RUNNER_CONFIG: bad }))).toThrow(/timed\.output/);
    const broken = file('broken.json', '{ not json');
    expect(() => createRunner(loadConfig({ LATFLEET_AGENT_RUNNER: 'command', LATFLEET_COMMAND_RUNNER_CONFIG: broken }))).toThrow(ConfigError);
    expect(() => loadConfig({ LATFLEET_AGENT_RUNNER: 'command' })).toThrow(/LATFLEET_COMMAND_RUNNER_CONFIG/);
  });
});
