import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { NestFactory } from '@nestjs/core';
import { loadConfig, logLevels, type LatfleetConfig } from '../lib/config/index.js';
import { AgentModule } from './agent.module.js';
import { AgentService } from './agent.service.js';

/** Pins this process to one core, where the OS lets us (Linux taskset); measurements stay on one core. */
function pin(core: number): void {
  if (core < 0) return;
  try {
    execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`latfleet agent: could not pin to core ${core} (taskset missing or not allowed); running unpinned\n`);
  }
}

export async function startAgent(config: LatfleetConfig) {
  pin(config.agentCore);
  const app = await NestFactory.createApplicationContext(AgentModule.forRoot(config), { logger: logLevels(config.logLevel) });
  app.enableShutdownHooks();
  const done = app.get(AgentService).run();
  return { app, done };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await startAgent(loadConfig());
}
