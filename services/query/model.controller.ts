import { Controller, Get, Param, Query } from '@nestjs/common';
import { modelDevicesQuery, modelListQuery, type ModelDevicesQuery, type ModelListQuery } from './model.dto.js';
import type { ModelRow } from './model.repository.js';
import { ModelService, type ModelAcrossDevices } from './model.service.js';
import type { Page } from './pagination.dto.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1/models')
export class ModelController {
  constructor(private readonly models: ModelService) {}

  @Get()
  list(@Query(new ZodValidationPipe(modelListQuery)) q: ModelListQuery): Promise<Page<ModelRow>> {
    return this.models.list(q);
  }

  /** `ref`: a stored model's sha256 or canonical name. */
  @Get(':ref/devices')
  devices(@Param('ref') ref: string, @Query(new ZodValidationPipe(modelDevicesQuery)) q: ModelDevicesQuery): Promise<ModelAcrossDevices> {
    return this.models.acrossDevices(ref, q);
  }
}
