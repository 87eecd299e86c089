import { Module } from '@nestjs/common';
import { CONFIG, ConfigModule, type LatfleetConfig } from '../lib/config/index.js';
import { AgentService } from './agent.service.js';
import { ControlClient } from './control.client.js';
import { ModelCache } from './model-cache.js';
import { Outbox } from './outbox.js';
import { createRunner } from './runner.factory.js';
import { RUNNER } from './runner.js';

export class AgentModule {
  static forRoot(config: LatfleetConfig) {
    return {
      module: AgentModule,
      imports: [ConfigModule.forRoot(config)],
      providers: [AgentService, ControlClient, ModelCache, Outbox, { provide: RUNNER, inject: [CONFIG], useFactory: createRunner }],
    };
  }
}
Module({})(AgentModule);
