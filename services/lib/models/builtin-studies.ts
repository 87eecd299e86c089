import { calibrateStudy, DEFAULT_CALIBRATE } from './calibrate-study.js';
import { ModelSpecError } from './model-spec.error.js';
import { ONE_MODEL_PER_FAMILY, type StudySpecInput } from './study-input.js';

export { ONE_MODEL_PER_FAMILY, type StudySpecInput } from './study-input.js';

const STUDIES: readonly StudySpecInput[] = [
  {
    name: 'demo',
    description: 'MobileNetV3-Large 1.0: ReLU everywhere vs the published activations vs h-swish everywhere',
    base: 'mobilenetv3-large-1.0',
    axes: { activation: ['relu', 'paper', 'hswish'] },
    baseline: 'paper',
    // the demo answers within a few minutes even on a busy host: at most 90 s of rounds
    protocol: { budgetSeconds: 90 },
  },
  {
    name: 'mbv3-hswish-placement',
    description: 'MobileNetV3 Table 5: ReLU, h-swish @16, @112 and as published, each with fused and decomposed h-swish',
    base: 'mobilenetv3-large-1.0',
    axes: { activation: ['paper', 'relu', '@16', '@112'], hswishImpl: ['fused', 'decomposed'] },
    baseline: { activation: 'paper', hswishImpl: 'fused' },
  },
  {
    name: 'mbv3-last-stage',
    description: 'MobileNetV3 Figure 5: efficient vs original last stage (about 30M MAdds, 11% latency)',
    base: 'mobilenetv3-large-1.0',
    axes: { lastStage: ['efficient', 'original'] },
    baseline: 'efficient',
  },
  {
    name: 'mbv3-stem',
    description: 'MobileNetV3 stem: 16 filters (published) vs 32 filters, with h-swish and with ReLU',
    base: 'mobilenetv3-large-1.0',
    variants: [
      { label: 'stem16-hswish' },
      { label: 'stem32-hswish', stem: 32 },
      { label: 'stem16-relu', activation: 'paper,stem:relu' },
      { label: 'stem32-relu', stem: 32, activation: 'paper,stem:relu' },
    ],
    baseline: 'stem16-hswish',
  },
  {
    name: 'mbv3-se',
    description: 'MobileNetV3 squeeze-and-excite: as published, removed, sigmoid gate, width from the block input',
    base: 'mobilenetv3-large-1.0',
    variants: [
      { label: 'paper' },
      { label: 'no-se', se: 'none' },
      { label: 'sigmoid-gate', seGate: 'sigmoid' },
      { label: 'input-width', seWidth: 'input' },
      { label: 'se-everywhere', se: 'all' },
    ],
    baseline: 'paper',
  },
  {
    name: 'mbv1-width-resolution',
    description: 'MobileNetV1 Tables 6-7: width multipliers 1.0/0.75/0.5/0.25 x resolutions 224/192/160/128',
    axes: {
      model: [1.0, 0.75, 0.5, 0.25].flatMap((w) => [224, 192, 160, 128].map((r) => `mobilenetv1-${w === 1 ? '1.0' : w}-${r}`)),
    },
    baseline: 'mobilenetv1-1.0-224',
  },
  {
    name: 'mixnet-kernel-groups',
    description: 'MixNet ablations on MobileNetV2 1.0: MixConv with 1-5 kernel groups (3x3..11x11), exponential split, dilated kernels',
    base: 'mobilenetv2-1.0',
    axes: { kernels: [1, 2, 3, 4, 5] },
    variants: [
      { label: '3-exponential', kernels: 3, channelSplit: 'exponential' },
      { label: '5-exponential', kernels: 5, channelSplit: 'exponential' },
      { label: '3-dilated', kernels: 3, dilated: true },
      { label: '5-dilated', kernels: 5, dilated: true },
    ],
    baseline: '1',
  },
  {
    name: 'efficientnet-scaling',
    description: 'EfficientNet Figure 3: about 2x the MAdds of B0 by width, depth or resolution alone vs compound scaling',
    base: 'efficientnet-b0',
    variants: [
      { label: 'b0' },
      { label: 'width-1.4', width: 1.4 },
      { label: 'depth-2.0', depth: 2 },
      { label: 'resolution-320', resolution: 320 },
      { label: 'compound-1', compound: 1 },
      { label: 'b1', model: 'efficientnet-b1' },
    ],
    baseline: 'b0',
  },
  {
    name: 'float-vs-int8',
    description: 'float32 vs int8 QDQ (per-tensor and per-channel weights) on MobileNetV2, MobileNetV3-Large and EfficientNet-B0',
    axes: {
      model: ['mobilenetv2-1.0', 'mobilenetv3-large-1.0', 'efficientnet-b0'],
      quantization: ['none', 'int8', 'int8-per-channel'],
    },
    baseline: { model: 'mobilenetv2-1.0', quantization: 'none' },
  },
  {
    name: 'formats',
    description:
      'MobileNetV3-Large 1.0 as ONNX and as TFLite, float32 and int8 (per-channel weights; ONNX as QDQ, TFLite full-integer as its post-training quantization makes it), the same plan and weights: each format goes to an agent that runs it (latfleet up --litert: one CPU agent runs both, so the four rows are paired)',
    base: 'mobilenetv3-large-1.0',
    axes: { format: ['onnx', 'tflite'], quantization: ['none', 'int8-per-channel'] },
    baseline: { format: 'onnx', quantization: 'none' },
  },
  {
    name: 'aa-seeds',
    description:
      'A/A check: MobileNetV3-Large 1.0 with six weight seeds, the same network six times. Every comparison should come out within noise (at most 5% beyond it, by chance)',
    base: 'mobilenetv3-large-1.0',
    axes: { seed: [1, 2, 3, 4, 5, 6] },
    baseline: { seed: 1 },
  },
  {
    name: 'families',
    description: 'One published model per family at its own resolution',
    variants: [...ONE_MODEL_PER_FAMILY],
    baseline: 'mobilenetv2-1.0',
  },
];

/**
 * Studies whose variants are drawn when first asked for (listing them does not draw). `calibrate-N`
 * draws another sample (seed N), for a device that needs more training data than one study holds.
 */
const GENERATED: ReadonlyArray<{ name: string; description: string; pattern: RegExp; spec: (name: string, n: number) => StudySpecInput }> = [
  {
    name: 'calibrate',
    description:
      'Training set of the latency predictors: variants drawn across the six families and their knobs, about 20 min of fleet time on one CPU core at most; calibrate-2, calibrate-3, … draw more',
    pattern: /^calibrate(?:-([2-9]|[1-9]\d))?$/,
    spec: (name, n) => calibrateStudy({ ...DEFAULT_CALIBRATE, seed: n }, name),
  },
  {
    name: 'calibrate-tflite',
    description:
      "The same draw as calibrate, measured as TFLite (LiteRT, or TFLite's benchmark tool on a phone): the training set of an end-to-end latency predictor for a TFLite device; calibrate-tflite-2, … draw more",
    pattern: /^calibrate-tflite(?:-([2-9]|[1-9]\d))?$/,
    spec: (name, n) => calibrateStudy({ ...DEFAULT_CALIBRATE, seed: n, format: 'tflite' }, name),
  },
];
const generated = new Map<string, StudySpecInput>();

export function listBuiltinStudies(): Array<{ name: string; description: string }> {
  return [...STUDIES.map((s) => ({ name: s.name, description: s.description ?? '' })), ...GENERATED.map(({ name, description }) => ({ name, description }))];
}

/** The spec of a built-in study (a fresh copy, safe to modify). */
export function builtinStudy(name: string): StudySpecInput {
  const maker = GENERATED.find((g) => g.pattern.test(name));
  if (maker && !generated.has(name)) generated.set(name, maker.spec(name, Number(maker.pattern.exec(name)![1] ?? 1)));
  const study = STUDIES.find((s) => s.name === name) ?? generated.get(name);
  if (!study)
    throw new ModelSpecError(
      'study',
      `unknown built-in study '${name}'; known: ${listBuiltinStudies()
        .map((s) => s.name)
        .join(', ')}`,
    );
  return structuredClone(study) as StudySpecInput;
}
