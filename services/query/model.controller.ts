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
import { type ArtifactRow, artifactRow, type ImportedModelRow, importedModelRow, modelAcrossDevices, type ModelRow, modelRow, page } from './contract.js';
import { readRawBody } from './request-body.util.js';
import { ModelService, type ModelAcrossDevices } from './model.service.js';
import type { Page } from './pagination.dto.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID, NOT_FOUND, UNAUTHENTICATED } from './api-route.decorator.js';

@Controller('api/v1/models')
export class ModelController {
  constructor(private readonly models: ModelService) {}

  @Get()
  @ApiRoute({
    tag: 'models',
    summary: 'stored models (built variants in each format, imported models) with their run counts',
    answer: page(modelRow),
    ok: 'a page of models',
    errors: INVALID,
  })
  list(@Query(new ZodValidationPipe(modelListQuery)) q: ModelListQuery): Promise<Page<ModelRow>> {
    return this.models.list(q);
  }

  /** Bring your own model: the file's bytes as `application/octet-stream`; 201 when stored, 200 when it was already. */
  @Post()
  @HttpCode(201)
  @ApiRoute({
    tag: 'models',
    summary: 'import a model file (ONNX or TFLite) a study can then name (API key)',
    description:
      'The body is the file itself. It is checked before anything is stored: it parses, has one float32 input whose shape is static (or given as ' +
      '`inputShape`), and every node’s output shape can be inferred (or is declared in the file). One layer per node (ONNX: its name, or ' +
      '`<OpType>_<index>` as ONNX Runtime names an unnamed node; TFLite: its output tensor), with MAdds and parameters. A study names it by ' +
      'name or sha256 (`variants: [{ model: <name> }]`). At most LATFLEET_MAX_MODEL_MB. The same file under the same name again answers 200.',
    body: 'application/octet-stream',
    answer: importedModelRow,
    ok: { 201: 'the imported model with its layers', 200: 'the same file was imported under this name before' },
    errors: {
      400: 'corrupt or unsupported file, dynamic input shape, bad name or inputShape: nothing stored',
      ...UNAUTHENTICATED,
      409: 'the name is taken by another imported model, or the file is stored already under another name',
      413: 'larger than LATFLEET_MAX_MODEL_MB',
    },
  })
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
  @ApiRoute({
    tag: 'models',
    summary: 'attach a vendor artifact (e.g. .rknn) compiled from a model (API key)',
    description:
      'The body is the vendor file itself; `ref` is the model it was compiled from: a stored model’s sha256, an imported model’s name, or a ' +
      'variant name (built and stored now, the ONNX `latfleet models build` writes). The artifact is stored as a model of its own in `format`, ' +
      'with the source’s layers, MAdds and params (a vendor profile’s rows map to those layers by name where it names them). A study measures ' +
      'the variant in that format with `format: <format>`; control leases its jobs to agents that announce the format (the command runner’s ' +
      '`format` option). One artifact per model and format; the same bytes again answer 200. At most LATFLEET_MAX_MODEL_MB.',
    body: 'application/octet-stream',
    answer: artifactRow,
    ok: { 201: 'the attached artifact', 200: 'these bytes were attached to this model in this format before' },
    errors: {
      400: 'an empty file, a format latfleet builds itself (onnx, tflite) or a bad format name: nothing stored',
      ...UNAUTHENTICATED,
      404: 'no stored model, imported name or variant by that name',
      409: 'the model has another artifact in this format, or these bytes are stored already as another model',
      413: 'larger than LATFLEET_MAX_MODEL_MB',
    },
  })
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
  @ApiRoute({
    tag: 'models',
    summary: 'one model side by side on every device that ran it (ref: sha256 or canonical name)',
    description: 'Per device each run, from any study, is a replicate: the median of the runs’ medians with a hierarchical bootstrap CI. Flagged runs are left out and counted.',
    answer: modelAcrossDevices,
    ok: 'per device',
    errors: { ...INVALID, ...NOT_FOUND },
  })
  devices(@Param('ref') ref: string, @Query(new ZodValidationPipe(modelDevicesQuery)) q: ModelDevicesQuery): Promise<ModelAcrossDevices> {
    return this.models.acrossDevices(ref, q);
  }
}
