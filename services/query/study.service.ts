import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { DEFAULT_PROTOCOL } from '../lib/measure/index.js';
import { describeVariant, isBuiltFormat, parseStudySpec, type ImportedModelRef, type StudySpec, type StudyVariant } from '../lib/models/index.js';
import { builtBytes, ModelBuildError, ModelBuilder, type BuildRequest, type BuiltModel } from '../lib/models/model-builder.js';
import type { NewModel } from '../lib/store/model-rows.js';
import { MeasureSelectionService } from './measure-selection.service.js';
import { ModelRepository } from './model.repository.js';
import type { Page } from './pagination.dto.js';
import type { StudyListQuery } from './study.dto.js';
import { StudyRepository, type StudyDetail, type StudySummary } from './study.repository.js';

/** float32 weights: the size of a model is its parameters times four, give or take its graph. */
const BYTES_PER_PARAM = 4;

@Injectable()
export class StudyService {
  private readonly logger = new Logger(StudyService.name);

  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly studies: StudyRepository,
    private readonly models: ModelRepository,
    private readonly selection: MeasureSelectionService,
    private readonly builder: ModelBuilder,
  ) {}

  /** Validates the spec, builds every variant, stores it all and queues the first rounds (a job per variant in each). */
  async create(body: unknown): Promise<StudyDetail> {
    const imported = new Map<string, ImportedModelRef>();
    for (const m of await this.models.findImported(stringsIn(body))) imported.set(m.name, m).set(m.sha256, m);
    const { spec, predicted } = await this.selection.select(parseStudySpec(body, (ref) => imported.get(ref)));
    this.checkModelSizes(spec);
    const protocol = spec.protocol ?? DEFAULT_PROTOCOL;
    const { ids, each, ...selector } = spec.devices ?? {};
    let targets: string[] | null = null;
    if (ids || each) {
      const devices = await this.studies.matchingDevices(selector, ids);
      if (devices.length === 0) throw LatfleetError.validation('devices', 'no registered device matches this selection');
      if (ids && devices.length < ids.length) throw LatfleetError.validation('devices.ids', 'names a device that is not registered or does not match');
      // each device gets the variants in the formats it runs (insertRound): a variant none of them runs would never be measured
      const runs = new Set(devices.flatMap((d) => d.formats));
      const stranded = spec.variants.find((v) => !runs.has(v.format));
      if (stranded) {
        throw LatfleetError.validation(
          'devices',
          `variant ${stranded.label} is ${stranded.format}; none of the ${devices.length} selected devices runs it (they run ${[...runs].join(', ')})`,
        );
      }
      targets = devices.map((d) => d.id);
    }
    const started = Date.now();
    const artifacts = await this.artifactsOf(spec.variants);
    const generated = await this.generatedModels(spec.variants.filter((v) => !v.imported && !artifacts.has(v.label)));
    const variants = spec.variants.map((v) => ({
      label: v.label,
      model: v.imported ? { sha256: v.imported.sha256 } : (artifacts.get(v.label) ?? generated.get(v.label)!),
    }));
    this.logger.log(`study ${spec.name}: built ${variants.length} variants in ${Date.now() - started} ms`);
    const id = await this.studies.create({
      name: spec.name,
      spec: { ...spec, protocol, ...(predicted ? { predicted } : {}) },
      baselineLabel: spec.baseline,
      protocol,
      replicates: protocol.replicates,
      priority: spec.priority,
      selector,
      targets,
      variants,
    });
    return (await this.studies.find(id))!;
  }

  /**
   * Variants measured in a vendor format (rknn, …): the artifact attached to the variant's ONNX
   * model, by label. A variant without one is refused, saying how to attach it.
   */
  private async artifactsOf(variants: readonly StudyVariant[]): Promise<Map<string, { sha256: string }>> {
    const vendor = variants.filter((v) => !v.imported && !isBuiltFormat(v.format));
    const onnx = await this.buildOrRefuse(
      vendor,
      vendor.map((v) => ({ spec: v.spec!, format: 'onnx' as const })),
    );
    const wanted = vendor.map((v, i) => ({ v, onnx: onnx[i]!.sha256 }));
    const attached = await this.models.findArtifacts(wanted.map((w) => w.onnx));
    const out = new Map<string, { sha256: string }>();
    for (const { v, onnx } of wanted) {
      const artifact = attached.find((a) => a.artifactOf === onnx && a.format === v.format);
      if (!artifact) {
        throw LatfleetError.validation(
          'variants',
          `${v.label}: no ${v.format} artifact is attached to ${v.name} (${onnx}); compile it from that ONNX (latfleet models build ${v.name}) and attach it: latfleet models attach ${v.name} FILE --format ${v.format}`,
          'MODEL_SPEC_INVALID',
        );
      }
      out.set(v.label, { sha256: artifact.sha256 });
    }
    return out;
  }

  /** The generated variants' models in the formats they are measured in, built off the event loop (stored later unless they are already), by label. */
  private async generatedModels(variants: readonly StudyVariant[]): Promise<Map<string, NewModel>> {
    const built = await this.buildOrRefuse(
      variants,
      variants.map((v) => ({ spec: v.spec!, format: v.format === 'tflite' ? 'tflite' : 'onnx' })),
    );
    return new Map(
      variants.map((v, i) => {
        const b = built[i]!;
        return [v.label, { ...b, bytes: builtBytes(b), format: v.format, origin: 'generated' }];
      }),
    );
  }

  /** Builds in the worker; a spec the builder refuses becomes a 400 naming the variant. */
  private async buildOrRefuse(variants: readonly StudyVariant[], requests: BuildRequest[]): Promise<BuiltModel[]> {
    try {
      return await this.builder.build(requests);
    } catch (error) {
      if (error instanceof ModelBuildError && error.specError) {
        throw LatfleetError.validation('variants', `${variants[error.index]!.label}: ${error.message}`, 'MODEL_SPEC_INVALID');
      }
      throw error;
    }
  }

  /** Estimates every model's size from its description (no graph, no weights) and refuses what would not fit. */
  private checkModelSizes(spec: StudySpec): void {
    const mb = (bytes: number) => Math.ceil(bytes / 2 ** 20);
    let total = 0;
    for (const v of spec.variants) {
      // an imported model was checked against the limit when it was uploaded
      if (!v.spec) continue;
      const bytes = describeVariant(v.spec).params * BYTES_PER_PARAM;
      if (bytes > this.config.maxModelBytes) {
        throw LatfleetError.validation(
          'variants',
          `${v.label === v.name ? v.name : `${v.label} (${v.name})`} would be about ${mb(bytes)} MB; at most ${mb(this.config.maxModelBytes)} MB per model (LATFLEET_MAX_MODEL_MB)`,
        );
      }
      total += bytes;
    }
    if (total > this.config.maxStudyModelBytes) {
      throw LatfleetError.validation(
        'variants',
        `the study's ${spec.variants.length} models would be about ${mb(total)} MB; at most ${mb(this.config.maxStudyModelBytes)} MB per study (LATFLEET_MAX_STUDY_MODEL_MB)`,
      );
    }
  }

  /** Queued jobs never run; running ones are aborted on their agents. Results already stored stay. A finished study is refused. */
  async cancel(id: string): Promise<{ id: string; status: 'cancelled'; abortedJobs: number }> {
    const before = await this.studies.header(id);
    if (!before) throw LatfleetError.notFound('study', id);
    if (before.status === 'completed' || before.status === 'failed') throw finished(id, before.status);
    const aborted = await this.studies.cancel(id);
    if (aborted === null) throw LatfleetError.notFound('study', id);
    // it may have finished between the two reads: then the cancellation changed nothing
    const after = await this.studies.header(id);
    if (after && after.status !== 'cancelled') throw finished(id, after.status);
    return { id, status: 'cancelled', abortedJobs: aborted.length };
  }

  list(q: StudyListQuery): Promise<Page<StudySummary>> {
    return this.studies.list(q);
  }

  async get(id: string): Promise<StudyDetail> {
    const study = await this.studies.find(id);
    if (!study) throw LatfleetError.notFound('study', id);
    return study;
  }
}

/** Every string in a request body (bounded by the body limit): the names a study may give imported models by. */
function stringsIn(value: unknown, out = new Set<string>()): string[] {
  if (typeof value === 'string') out.add(value.trim());
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stringsIn(v, out);
  return [...out];
}

const finished = (id: string, status: string) => new LatfleetError(ErrorCode.Conflict, `study ${id} is already ${status}: there is nothing left to cancel`);
