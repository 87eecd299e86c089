import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type LatfleetConfig } from '../lib/config/index.js';
import { zodIssuePath } from '../lib/errors/index.js';
import { FORMAT_NAME } from '../lib/models/index.js';
import { OrtNodeRunner } from './ort-node.runner.js';
import type { Runner } from './runner.js';
import { AndroidAdbRunner, CommandRunner, LiteRtRunner, MultiRuntimeRunner, type CommandRunnerOptions } from './runners/index.js';

const argv = z.array(z.string()).min(1);
const commandOptionsSchema = z
  .object({
    name: z.string().min(1).optional(),
    runtimeVersion: z.string().min(1),
    format: z.string().regex(FORMAT_NAME, 'expected a format name (onnx, tflite, rknn, ...)').optional(),
    timed: z.object({ argv, output: z.literal('rknn-benchmark'), toolWarmupRuns: z.number().int().min(0).optional() }).strict(),
    profile: z
      .object({ argv, output: z.enum(['rknn-perf-detail', 'tflite-op-profile']) })
      .strict()
      .optional(),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    core: z.number().int().min(-1).optional(),
    timeoutMs: z.number().int().positive().optional(),
    deviceClass: z.enum(['cpu', 'android', 'npu']).optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** Reads and validates the command runner's options file, naming the field at fault. */
export function readCommandRunnerOptions(path: string): CommandRunnerOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`LATFLEET_COMMAND_RUNNER_CONFIG=${path}: ${(err as Error).message}`);
  }
  const parsed = commandOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ConfigError(`LATFLEET_COMMAND_RUNNER_CONFIG=${path}: ${zodIssuePath(i.path) || '(file)'}: ${i.message}`);
  }
  return parsed.data;
}

/** The runner this agent's configuration asks for; bad options stop the agent at boot. */
export function createRunner(config: LatfleetConfig): Runner {
  switch (config.agentRunner) {
    case 'android-adb':
      return new AndroidAdbRunner(config.adb!);
    case 'command':
      return new CommandRunner(readCommandRunnerOptions(config.commandRunnerConfig!));
    case 'litert':
      return new LiteRtRunner(config.agentCore);
    case 'ort-node+litert':
      // one device, both formats: its comparisons pair ONNX Runtime against LiteRT round by round
      return new MultiRuntimeRunner([new OrtNodeRunner(config), new LiteRtRunner(config.agentCore)]);
    default:
      return new OrtNodeRunner(config);
  }
}
