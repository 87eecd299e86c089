import type { FamilyDefinition, ModelEntry } from '../family.js';
import { poolClassifierHead, stemStep } from './steps.js';
import type { StageRow } from './stages.js';
import { lowerStages } from './stages.js';

/** Depthwise-separable pairs: stride of the depthwise conv, output of the pointwise conv. */
const PAIRS: ReadonlyArray<[repeats: number, stride: number, out: number]> = [
  [1, 1, 64],
  [1, 2, 128],
  [1, 1, 128],
  [1, 2, 256],
  [1, 1, 256],
  [1, 2, 512],
  [5, 1, 512],
  [1, 2, 1024],
  // the paper prints s2 here, but the input is already 7x7
  [1, 1, 1024],
];

const ROWS: StageRow[] = PAIRS.map(([repeats, stride, out]) => ({
  kernels: [3],
  expand: 1,
  out,
  repeats,
  stride,
  se: null,
  activation: 'relu',
  separable: true,
}));

const WIDTHS = [1.0, 0.75, 0.5, 0.25] as const;
const RESOLUTIONS = [224, 192, 160, 128] as const;

/** Table 6 (width at 224) and Table 7 (resolution at width 1.0) of the paper. */
const PUBLISHED: Record<string, { madds: number; params: number; top1: number }> = {
  '1.0-224': { madds: 569e6, params: 4.2e6, top1: 70.6 },
  '0.75-224': { madds: 325e6, params: 2.6e6, top1: 68.4 },
  '0.5-224': { madds: 149e6, params: 1.3e6, top1: 63.7 },
  '0.25-224': { madds: 41e6, params: 0.5e6, top1: 50.6 },
  '1.0-192': { madds: 418e6, params: 4.2e6, top1: 69.1 },
  '1.0-160': { madds: 290e6, params: 4.2e6, top1: 67.2 },
  '1.0-128': { madds: 186e6, params: 4.2e6, top1: 64.4 },
};

const widthLabel = (w: number): string => (w === 1 ? '1.0' : String(w));
const scaleFor = (width: number) => (c: number) => Math.max(Math.floor(c * width), 8);

export const mobilenetV1: FamilyDefinition = {
  family: 'mobilenetv1',
  description: 'MobileNetV1 (Howard et al., 2017): depthwise-separable convolutions, width and resolution multipliers',
  models: WIDTHS.flatMap((width) =>
    RESOLUTIONS.map((resolution): ModelEntry => {
      const key = `${widthLabel(width)}-${resolution}`;
      const aliases = [
        ...(resolution === 224 ? [`mobilenetv1-${widthLabel(width)}`] : []),
        ...(resolution === 224 && width === 1 ? ['mobilenetv1'] : []),
      ];
      return {
        name: `mobilenetv1-${key}`,
        family: 'mobilenetv1',
        line: 'mobilenetv1',
        ...(aliases.length ? { aliases } : {}),
        resolution,
        width,
        depth: 1,
        ...(PUBLISHED[key] ? { published: PUBLISHED[key] } : {}),
      };
    }),
  ),
  knobs: [],
  defaults: (_entry, width) => ({ stem: scaleFor(width)(32), seWidth: 'expansion', seGate: 'hardsigmoid', seActivation: 'relu' }),
  template(_entry, spec) {
    return {
      stem: [stemStep(spec.stem, 'relu')],
      blocks: lowerStages(ROWS, spec.stem, scaleFor(spec.width), spec.depth),
      head: poolClassifierHead(null, 'relu'),
    };
  },
};
