import type { ChannelSplit, Gate } from './network-plan.js';

/**
 * The vocabulary of a variant: every knob the builder understands, as given and as normalized.
 * Types only, importing no registry or builder, so that the families, the plan resolver, the knob
 * table and the emitters can all depend on it without a cycle through variant-spec.ts.
 */

/** How h-swish is emitted: ONNX's HardSwish, decomposed x·ReLU6(x+3)/6, or swish in its place. */
export type HswishImpl = 'fused' | 'decomposed' | 'swish';
/** Weight and activation precision of the emitted graph. */
export type Quantization = 'none' | 'int8' | 'int8-per-channel';
/** SE width: make_divisible(expanded / 4), or max(1, int(block_input × ratio)). */
export type SeWidthRule = 'expansion' | 'input';

export interface VariantSpec {
  /** canonical model name (`mobilenetv3-large-1.0`) or an alias (`mobilenetv3-large`) */
  model: string;
  resolution?: number;
  /** `paper` | relu | relu6 | hswish | swish | `@16` | `@112`, then optional block ranges: `paper,0-5:relu` */
  activation?: string;
  hswishImpl?: HswishImpl;
  /** SE placement: as published, nowhere, or in every block (true = paper, false = none) */
  se?: boolean | SePlacement;
  /** expansion: make_divisible(expanded / 4); input: max(1, int(block_input * ratio)) */
  seWidth?: SeWidthRule;
  seGate?: Gate;
  /** MobileNetV3 only */
  lastStage?: 'efficient' | 'original';
  /** stem output channels */
  stem?: number;
  /** MixConv: every depthwise conv uses the first `kernels` of 3, 5, 7, 9, 11 */
  kernels?: number;
  channelSplit?: ChannelSplit;
  /** kernels above 3 become 3x3 dilated convolutions with the same receptive field */
  dilated?: boolean;
  width?: number;
  depth?: number;
  /** EfficientNet only: width 1.1^phi, depth 1.2^phi, resolution 224 * 1.15^phi, relative to the model */
  compound?: number;
  quantization?: Quantization;
  seed?: number;
}

export type SePlacement = 'paper' | 'none' | 'all';

/** Every knob that applies to the model, filled; family-only knobs absent elsewhere. */
export interface NormalizedVariantSpec {
  model: string;
  resolution: number;
  width: number;
  depth: number;
  stem: number;
  lastStage?: 'efficient' | 'original';
  activation: string;
  hswishImpl: HswishImpl;
  se: SePlacement;
  seWidth: SeWidthRule;
  seGate: Gate;
  kernels?: number;
  channelSplit: ChannelSplit;
  dilated: boolean;
  quantization: Quantization;
  seed: number;
}
