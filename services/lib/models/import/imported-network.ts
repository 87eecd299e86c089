import type { LayerInfo } from '../layer-info.js';
import type { ModelFormat } from '../model-format.js';

/** What latfleet reads from a model file it did not build: its one input and its layers (one per node or operator). */
export interface ImportedNetwork {
  format: ModelFormat;
  inputName: string;
  /** static: the file's, or the one the upload gave for its open dimensions */
  inputShape: number[];
  layers: LayerInfo[];
}
