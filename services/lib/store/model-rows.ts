import type { LayerInfo, ModelFormat } from '../models/index.js';
import type { ModelOrigin } from './entities/model.entity.js';

/** A model's row before it is stored: its bytes in one format and what the fleet shows about it. */
export interface NewModel {
  sha256: string;
  name: string;
  family: string;
  spec: unknown;
  resolution: number;
  inputName: string;
  inputShape: number[];
  bytes: Uint8Array;
  madds: number;
  params: number;
  layers: LayerInfo[];
  /** onnx, tflite, or an attached artifact's vendor format */
  format: ModelFormat | string;
  origin: ModelOrigin;
  /** an artifact: the stored model it was compiled from */
  artifactOf?: string;
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

/** Stores a model unless its bytes are stored already (content-addressed); true when this call stored it. */
export async function insertModel(m: Queryable, model: NewModel): Promise<boolean> {
  const rows = (await m.query(
    `INSERT INTO models (sha256, name, family, spec, resolution, input_name, input_shape, size_bytes, madds, params, layers, data, format, origin, artifact_of)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT (sha256) DO NOTHING RETURNING sha256`,
    [
      model.sha256,
      model.name,
      model.family,
      JSON.stringify(model.spec),
      model.resolution,
      model.inputName,
      model.inputShape,
      model.bytes.byteLength,
      model.madds,
      model.params,
      JSON.stringify(model.layers),
      Buffer.from(model.bytes.buffer, model.bytes.byteOffset, model.bytes.byteLength),
      model.format,
      model.origin,
      model.artifactOf ?? null,
    ],
  )) as unknown[];
  return rows.length > 0;
}
