import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LatfleetError } from '../lib/errors/index.js';
import {
  artifactQuery,
  modelDevicesQuery,
  modelImportQuery,
  modelListQuery,
  type ArtifactQuery,
  type ModelDevicesQuery,
  type ModelImportQuery,
  type ModelListQuery,
} from './model.dto.js';
import type { ArtifactRow, ImportedModelRow, ModelRow } from './contract.js';
import { readRawBody } from './request-body.util.js';
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

  /** Bring your own model: the file's bytes as `application/octet-stream`; 201 when stored, 200 when it was already. */
  @Post()
  @HttpCode(201)
  async import(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Query(new ZodValidationPipe(modelImportQuery)) q: ModelImportQuery): Promise<ImportedModelRow> {
    const bytes = await this.fileBody(req, 'the model file');
    const { created, model } = await this.models.import(bytes, q);
    if (!created) res.status(200);
    return model;
  }

  /**
   * A vendor artifact compiled from a model (`ref`: its sha256, an imported model's name, or a variant
   * name), as `application/octet-stream`; 201 when stored, 200 when these bytes were attached already.
   */
  @Post(':ref/artifacts')
  @HttpCode(201)
  async attach(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('ref') ref: string,
    @Query(new ZodValidationPipe(artifactQuery)) q: ArtifactQuery,
  ): Promise<ArtifactRow> {
    const bytes = await this.fileBody(req, 'the artifact');
    const { created, artifact } = await this.models.attachArtifact(ref, q.format, bytes);
    if (!created) res.status(200);
    return artifact;
  }

  /** An uploaded file: `application/octet-stream`, at most the per-model limit (413 past it, read no further). */
  private async fileBody(req: Request, what: string): Promise<Buffer> {
    if (!req.is('application/octet-stream')) {
      req.resume();
      throw LatfleetError.validation('content-type', `send ${what} as application/octet-stream`);
    }
    const mb = Math.round(this.models.maxImportBytes / 2 ** 20);
    return readRawBody(req, this.models.maxImportBytes, `${mb} MB per model (LATFLEET_MAX_MODEL_MB)`);
  }

  /** `ref`: a stored model's sha256 or canonical name. */
  @Get(':ref/devices')
  devices(@Param('ref') ref: string, @Query(new ZodValidationPipe(modelDevicesQuery)) q: ModelDevicesQuery): Promise<ModelAcrossDevices> {
    return this.models.acrossDevices(ref, q);
  }
}
