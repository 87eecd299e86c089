import type { VariantSpec } from './spec-types.js';

export type KnobField = Exclude<keyof VariantSpec, 'model'>;

/** One knob of a variant: the same name in a variant name, a spec object and a study axis. */
export interface KnobDefinition {
  /** its name in spec objects and study axes */
  field: KnobField;
  /** the shorter key of variant names (`+act=relu`), accepted in objects and axes too; resolution is `@N` in names */
  short: string | null;
  meaning: string;
  /** the paper (title, section, table or figure) that ablates it */
  ablatedBy: string;
}

const MBV1 = 'MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications (Howard et al., 2017)';
const MBV3 = 'Searching for MobileNetV3 (Howard et al., ICCV 2019)';
const MNAS = 'MnasNet: Platform-Aware Neural Architecture Search for Mobile (Tan et al., CVPR 2019)';
const MIXNET = 'MixConv: Mixed Depthwise Convolutional Kernels (Tan and Le, BMVC 2019)';
const EFFNET = 'EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks (Tan and Le, ICML 2019)';

/** In the order a canonical variant name lists them. */
export const KNOBS: readonly KnobDefinition[] = [
  { field: 'resolution', short: null, meaning: 'input height and width', ablatedBy: `${MBV1}, Table 7 (resolution multiplier); ${EFFNET}, Figure 3` },
  { field: 'width', short: 'width', meaning: "channel multiplier, rounded by the family's rule", ablatedBy: `${MBV1}, Table 6 (width multiplier); ${EFFNET}, Figure 3` },
  { field: 'depth', short: 'depth', meaning: 'block repeats per stage: ceil(repeats x depth)', ablatedBy: `${EFFNET}, Figure 3 and Table 2` },
  { field: 'stem', short: 'stem', meaning: 'output channels of the stem convolution', ablatedBy: `${MBV3}, Section 5.1 (16 instead of 32 filters)` },
  { field: 'lastStage', short: 'last', meaning: 'MobileNetV3 head: efficient (pool before the 1280 conv) or original', ablatedBy: `${MBV3}, Section 5.1 and Figure 5` },
  {
    field: 'activation',
    short: 'act',
    meaning: "non-linearity per layer: one everywhere, the paper's, @N (h-swish from N channels), block ranges",
    ablatedBy: `${MBV3}, Section 5.2 and Table 5`,
  },
  {
    field: 'hswishImpl',
    short: 'hswish',
    meaning: 'how h-swish is emitted: one fused op, decomposed (x * ReLU6(x + 3) / 6), or swish',
    ablatedBy: `${MBV3}, Table 5 (optimized vs non-optimized h-swish)`,
  },
  {
    field: 'se',
    short: 'se',
    meaning: 'squeeze-and-excite placement: as published, none, or every block (true = paper, false = none)',
    ablatedBy: `${MBV3}, Section 5.3; ${MNAS}, Section 4.1 (SE ratio 0 or 0.25)`,
  },
  {
    field: 'seWidth',
    short: 'seWidth',
    meaning: 'SE squeeze width: 1/4 of the expansion (MobileNetV3) or ratio x block input (MnasNet, EfficientNet)',
    ablatedBy: `differs between ${MBV3}, Section 5.3 and ${MNAS}, Section 4.1`,
  },
  { field: 'seGate', short: 'seGate', meaning: 'SE gate: sigmoid or hard sigmoid', ablatedBy: `${MBV3}, Section 5.2` },
  {
    field: 'kernels',
    short: 'kernels',
    meaning: 'MixConv: every depthwise conv uses the first N of 3, 5, 7, 9, 11 (table kernels when unset)',
    ablatedBy: `${MIXNET}, Section 3 (kernel group size)`,
  },
  { field: 'channelSplit', short: 'split', meaning: 'MixConv channels per kernel group: equal or exponential', ablatedBy: `${MIXNET}, Section 3 (channel partition)` },
  {
    field: 'dilated',
    short: 'dilated',
    meaning: 'kernels above 3 become dilated 3x3 convolutions with the same receptive field',
    ablatedBy: `${MIXNET}, Section 3 (dilated convolutions)`,
  },
  {
    field: 'quantization',
    short: 'quant',
    meaning: 'int8 weights and activations, per tensor or per channel: a QDQ graph in ONNX, a full-integer file (calibrated from the float twin) in TFLite',
    ablatedBy: `${MBV3}, Table 4 (quantized latency)`,
  },
  { field: 'seed', short: 'seed', meaning: 'weight seed: the same network with other weights (the A/A check)', ablatedBy: 'none: the A/A check (docs/verdicts.md)' },
  { field: 'compound', short: 'compound', meaning: 'EfficientNet phi: width 1.1^phi, depth 1.2^phi, resolution 1.15^phi', ablatedBy: `${EFFNET}, Section 3.3 (compound scaling)` },
];

/** Every key a knob may be given by, with its field: `act` -> `activation`, `activation` -> `activation`. */
export function knobField(key: string): KnobField | undefined {
  return KNOBS.find((k) => k.field === key || k.short === key)?.field;
}

/** `resolution (@N in names), width, ..., activation (act), ...` for error messages. */
export const KNOB_LIST = KNOBS.map((k) => (k.short === null ? `${k.field} (@N in names)` : k.short === k.field ? k.field : `${k.field} (${k.short})`)).join(', ');
