/** `other`: a node of an imported model that fits none of the builder's roles (or ops). */
export type LayerRole = 'stem' | 'expand' | 'depthwise' | 'se' | 'project' | 'pointwise' | 'residual' | 'head' | 'pool' | 'classifier' | 'other';
export type LayerOp = 'conv' | 'dwconv' | 'se' | 'add' | 'pool' | 'fc' | 'other';

/**
 * One logical layer: a convolution with its activation (and its quantize/dequantize nodes), an SE
 * module, a residual add, a pool or the classifier. Every ONNX node of the layer is named
 * `name` or `name.<something>`, so profile events map back to layers by longest prefix.
 */
export interface LayerInfo {
  name: string;
  /** `stem`, `blocks.<i>` or `head` */
  block: string;
  role: LayerRole;
  op: LayerOp;
  /** largest (effective) kernel size; 1 for SE and fc, the input size for global pooling, 0 for add */
  kernel: number;
  stride: number;
  /** MixConv: one kernel per channel group */
  kernels?: number[];
  /** set when any kernel is dilated */
  dilations?: number[];
  /** channel groups of a grouped pointwise convolution */
  groups?: number;
  activation: string | null;
  /** NCHW, batch 1 */
  inputShape: number[];
  outputShape: number[];
  madds: number;
  params: number;
  nodes: string[];
}

/** Elements of a tensor of this shape (1 for a scalar's empty shape). */
export const elementCount = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);
