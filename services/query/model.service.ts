import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { createHash } from 'node:crypto';
import { importModel, isBuiltFormat, listModels, type BuiltVariant } from '../lib/models/index.js';
import { ModelBuildError, ModelBuilder } from '../lib/models/model-builder.js';
import type { DeviceRef } from './device.repository.js';
import { summarizeReplicates, type LatencySummary } from './latency-statistics.js';
import type { ModelDevicesQuery, ModelImportQuery, ModelListQuery } from './model.dto.js';
import { ModelRepository, type ArtifactRow, type ArtifactSource, type ImportedModelRow, type ModelRow } from './model.repository.js';
import type { Page } from './pagination.dto.js';
import { RunRepository, type RunSamples } from './run.repository.js';

export interface ModelOnDevice extends LatencySummary {
  device: DeviceRef;
  /** stored runs on the device, flagged ones included */
  runs: number;
  /** this device's median over the fastest device's; null when the device has no clean run */
  relativeToFastest: number | null;
  runtimeVersions: string[];
  lastRunAt: string;
}

export interface ModelAcrossDevices {
  model: string;
  sha256s: string[];
  madds: number;
  params: number;
  optimization: string;
  /** how the per-device figures come about */
  note: string;
  /** fastest first; devices whose every run is flagged last */
  devices: ModelOnDevice[];
}

const NOTE =
  'Per device, each run (from any study) is a replicate: the median of the runs’ medians with a 95% hierarchical bootstrap CI ' +
  '(runs, then iterations within them; none with fewer than 2 runs). Flagged runs are left out and counted.';

@Injectable()
export class ModelService {
  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly models: ModelRepository,
    private readonly runs: RunRepository,
    private readonly builder: ModelBuilder,
  ) {}

  /** The most an upload may hold: the per-model limit studies' generated models have. */
  get maxImportBytes(): number {
    return this.config.maxModelBytes;
  }

  /**
   * Reads, checks and stores a model file a user brings (importModel: parses, static input shape,
   * shapes inferred, per-layer MAdds and params). A file that fails a check stores nothing. The same
   * file under the same name again is answered with the stored model (`created: false`).
   */
  async import(bytes: Buffer, q: ModelImportQuery): Promise<{ created: boolean; model: ImportedModelRow }> {
    const catalogue = listModels().find((m) => m.name === q.name.toLowerCase() || m.aliases.includes(q.name.toLowerCase()));
    if (catalogue) throw LatfleetError.validation('name', `'${q.name}' names the built-in model ${catalogue.name}; choose another name`);
    const model = importModel(bytes, { name: q.name, ...(q.inputShape ? { inputShape: q.inputShape } : {}) });
    const answer = async () => {
      const [found] = await this.models.findImportClash(model.sha256, model.name);
      if (!found) return null;
      if (found.sha256 === model.sha256 && found.name === model.name && found.origin === 'imported') return { created: false, model: found };
      throw new LatfleetError(
        ErrorCode.Conflict,
        found.sha256 === model.sha256
          ? `this file is stored already, as '${found.name}' (${found.sha256})`
          : `name '${model.name}' is taken by another imported model (${found.sha256})`,
        found.sha256 === model.sha256 ? 'file' : 'name',
      );
    };
    const stored = (await answer()) ?? (await this.models.insertImported(model, bytes, q.inputShape ?? null));
    if (stored && 'created' in stored) return stored;
    if (stored) return { created: true, model: stored };
    // stored meanwhile by another request: answer as if it came first
    const again = await answer();
    if (!again) throw new LatfleetError(ErrorCode.Unavailable, 'the model was stored and removed meanwhile; try again');
    return again;
  }

  /**
   * Attaches a vendor artifact (e.g. `.rknn` compiled with the vendor's converter) to a model: `ref`
   * is a stored model's sha256, an imported model's name, or a variant name (built and stored now,
   * as `latfleet models build` writes it). The artifact is stored as a model of its own in its
   * format, with the source's layers, MAdds and params; a study asks for it with `format: <format>`
   * on that variant. The same bytes again answer `created: false`; other bytes for a model and
   * format that has one are a conflict. Nothing is stored on any error.
   */
  async attachArtifact(ref: string, format: string, bytes: Buffer): Promise<{ created: boolean; artifact: ArtifactRow }> {
    if (isBuiltFormat(format)) throw LatfleetError.validation('format', `${format} is built by latfleet from the variant itself; attach vendor formats (rknn, …)`);
    if (bytes.byteLength === 0) throw LatfleetError.validation('file', 'empty');
    const source = await this.artifactSource(ref);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const answer = async () => {
      const attached = (await this.models.findArtifacts([source.sha256])).find((a) => a.format === format);
      if (attached?.sha256 === sha256) return { created: false, artifact: attached };
      if (attached) throw new LatfleetError(ErrorCode.Conflict, `${source.name} (${source.sha256}) has a ${format} artifact already (${attached.sha256})`, 'format');
      const other = await this.models.findBySha(sha256);
      if (other) throw new LatfleetError(ErrorCode.Conflict, `this file is stored already, as ${other.origin} ${other.format} model '${other.name}' (${sha256})`, 'file');
      return null;
    };
    const found = await answer();
    if (found) return found;
    const { sha256: sourceSha, origin: _origin, format: _format, ...copied } = source;
    const stored = await this.models.insertArtifact({ ...copied, sha256, bytes, format, origin: 'artifact', artifactOf: sourceSha });
    if (stored) return { created: true, artifact: stored };
    const again = await answer();
    if (!again) throw new LatfleetError(ErrorCode.Unavailable, 'the artifact was stored and removed meanwhile; try again');
    return again;
  }

  private async artifactSource(ref: string): Promise<ArtifactSource> {
    const stored = await this.models.findArtifactSource(ref);
    if (stored) return stored;
    if (/^[0-9a-f]{64}$/.test(ref)) throw LatfleetError.notFound('model', ref);
    let built: BuiltVariant;
    try {
      built = (await this.builder.build([{ spec: ref, format: 'onnx' }]))[0] as BuiltVariant;
    } catch (error) {
      if (error instanceof ModelBuildError && error.specError) {
        throw LatfleetError.notFound('model', `${ref} (neither a stored model, an imported name nor a variant: ${error.message})`);
      }
      throw error;
    }
    await this.models.ensureStored({ ...built, bytes: built.onnx, format: 'onnx', origin: 'generated' });
    return (await this.models.findArtifactSource(built.sha256))!;
  }

  list(q: ModelListQuery): Promise<Page<ModelRow>> {
    return this.models.list(q);
  }

  /** One model side by side on every device that ran it, each run from every study a replicate. */
  async acrossDevices(ref: string, q: ModelDevicesQuery): Promise<ModelAcrossDevices> {
    const builds = await this.models.findByRef(ref);
    if (builds.length === 0) throw LatfleetError.notFound('model', ref);
    const runs = await this.runs.samples(
      builds.map((b) => b.sha256),
      q.optimization,
    );
    const byDevice = new Map<string, RunSamples[]>();
    for (const r of runs) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r]);
    const devices = [...byDevice.values()].map((rs): ModelOnDevice => {
      const first = rs[0]!;
      return {
        device: { id: first.deviceId, name: first.deviceName, deviceClass: first.deviceClass },
        ...summarizeReplicates(rs),
        runs: rs.length,
        relativeToFastest: null,
        runtimeVersions: [...new Set(rs.map((r) => r.runtimeVersion))],
        lastRunAt: rs[rs.length - 1]!.createdAt.toISOString(),
      };
    });
    devices.sort((a, b) => (a.medianMs ?? Infinity) - (b.medianMs ?? Infinity) || a.device.name.localeCompare(b.device.name));
    const fastest = devices[0]?.medianMs;
    for (const d of devices) d.relativeToFastest = d.medianMs === null ? null : fastest ? Math.round((d.medianMs / fastest) * 1e3) / 1e3 : 1;
    const latest = builds[builds.length - 1]!;
    return { model: latest.name, sha256s: builds.map((b) => b.sha256), madds: latest.madds, params: latest.params, optimization: q.optimization, note: NOTE, devices };
  }
}
