import type { LayerRole } from './layer-info.js';

/** Activations a layer can carry. `hswish` is emitted per the variant's hswishImpl. */
export type Activation = 'relu' | 'relu6' | 'hswish' | 'swish';
export type Gate = 'sigmoid' | 'hardsigmoid';
export type ChannelSplit = 'equal' | 'exponential';

export interface SqueezeExcitePlan {
  channels: number;
  /** 'block': the block's own activation (MixNet, EfficientNet) */
  activation: Activation | 'block';
  gate: Gate;
}

/**
 * One inverted-residual / depthwise-separable block, fully resolved (channels, kernels, activations).
 * Every family lowers its table to a list of these; one builder emits them all.
 */
export interface BlockPlan {
  in: number;
  out: number;
  /** channels after the expansion conv; equals `in` when `expand` is false */
  expanded: number;
  expand: boolean;
  kernels: number[];
  dilations: number[];
  stride: number;
  expandGroups: number;
  projectGroups: number;
  channelSplit: ChannelSplit;
  se: SqueezeExcitePlan | null;
  activation: Activation;
  /** null: linear bottleneck (MobileNetV2 onwards); MobileNetV1's pointwise conv carries the activation */
  projectActivation: Activation | null;
  /** 'pointwise' for MobileNetV1-style separable pairs, 'project' for bottlenecks */
  projectRole: 'project' | 'pointwise';
  residual: boolean;
}

export type SimpleStep =
  | { kind: 'conv'; name: string; role: LayerRole; out: number; kernel: number; stride: number; depthwise: boolean; activation: Activation | null }
  | { kind: 'pool'; name: string }
  | { kind: 'classifier'; name: string; classes: number };

export interface NetworkPlan {
  resolution: number;
  stem: SimpleStep[];
  blocks: BlockPlan[];
  head: SimpleStep[];
}
