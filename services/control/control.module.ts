import { Module } from '@nestjs/common';
import { ConfigModule, type LatfleetConfig } from '../lib/config/index.js';
import { StoreModule } from '../lib/store/index.js';
import { AgentController } from './agent.controller.js';
import { DeviceRepository } from './device.repository.js';
import { DeviceService } from './device.service.js';
import { JobRepository } from './job.repository.js';
import { JobService } from './job.service.js';
import { ModelRepository } from './model.repository.js';
import { ModelService } from './model.service.js';
import { RunRepository } from './run.repository.js';
import { RoundPlanner } from './round-planner.js';
import { RunService } from './run.service.js';
import { SessionRegistry } from './session.registry.js';
import { UploadGate } from './upload-gate.js';

export class ControlModule {
  static forRoot(config: LatfleetConfig) {
    return {
      module: ControlModule,
      imports: [ConfigModule.forRoot(config), StoreModule],
      controllers: [AgentController],
      providers: [DeviceRepository, DeviceService, JobRepository, JobService, ModelRepository, ModelService, RunRepository, RunService, RoundPlanner, SessionRegistry, UploadGate],
    };
  }
}
Module({})(ControlModule);
