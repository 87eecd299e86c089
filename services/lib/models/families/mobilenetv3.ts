import { makeDivisible } from '../channels.js';
import type { BlockTemplate, FamilyDefinition, ModelEntry } from '../family.js';
import type { Activation } from '../network-plan.js';
import type { FigureSource } from '../published-figures.js';
import { publishedFigures } from '../published-figures.js';
import { convStep, IMAGENET_CLASSES, scaleRepeats, stemStep } from './steps.js';

/** kernel, expansion size, out, SE, NL, stride: the paper's table, row by row. */
type Row = [number, number, number, 0 | 1, Activation, number];

interface MobileNetV3Line {
  rows: Row[];
  head: number;
  fc: number;
}

const LINES: Record<'large' | 'small', MobileNetV3Line> = {
  large: {
    rows: [
      [3, 16, 16, 0, 'relu', 1],
      [3, 64, 24, 0, 'relu', 2],
      [3, 72, 24, 0, 'relu', 1],
      [5, 72, 40, 1, 'relu', 2],
      [5, 120, 40, 1, 'relu', 1],
      [5, 120, 40, 1, 'relu', 1],
      [3, 240, 80, 0, 'hswish', 2],
      [3, 200, 80, 0, 'hswish', 1],
      [3, 184, 80, 0, 'hswish', 1],
      [3, 184, 80, 0, 'hswish', 1],
      [3, 480, 112, 1, 'hswish', 1],
      [3, 672, 112, 1, 'hswish', 1],
      [5, 672, 160, 1, 'hswish', 2],
      [5, 960, 160, 1, 'hswish', 1],
      [5, 960, 160, 1, 'hswish', 1],
    ],
    head: 960,
    fc: 1280,
  },
  small: {
    rows: [
      [3, 16, 16, 1, 'relu', 2],
      [3, 72, 24, 0, 'relu', 2],
      [3, 88, 24, 0, 'relu', 1],
      [5, 96, 40, 1, 'hswish', 2],
      [5, 240, 40, 1, 'hswish', 1],
      [5, 240, 40, 1, 'hswish', 1],
      [5, 120, 48, 1, 'hswish', 1],
      [5, 144, 48, 1, 'hswish', 1],
      [5, 288, 96, 1, 'hswish', 2],
      [5, 576, 96, 1, 'hswish', 1],
      [5, 576, 96, 1, 'hswish', 1],
    ],
    head: 576,
    fc: 1024,
  },
};

const TABLE_STEM = 16;

/** Consecutive rows of one table that are one block repeated, as timm writes them (`ir_r3_k5_s2_e3_c40`). */
interface Stage {
  rows: Row[];
  /** each row's input channels in the table: its expansion ratio is exp / tableIn */
  tableIn: number[];
  out: number;
}

/**
 * Groups the table's rows into stages of equal blocks: same kernel, expansion ratio, output, SE and
 * NL, stride 1 after the first. The depth multiplier scales each stage's repeats (ceil(n * depth)),
 * as EfficientNet's does, instead of repeating every row.
 */
function stagesOf(rows: readonly Row[]): Stage[] {
  const stages: Stage[] = [];
  let tableIn = TABLE_STEM;
  for (const row of rows) {
    const [kernel, exp, out, se, activation, stride] = row;
    const last = stages.at(-1);
    const [lk, lexp, lout, lse, lact] = last?.rows[0] ?? [];
    const sameBlock = last !== undefined && stride === 1 && kernel === lk && out === lout && se === lse && activation === lact && exp * last.tableIn[0]! === lexp! * tableIn;
    if (sameBlock) {
      last.rows.push(row);
      last.tableIn.push(tableIn);
    } else {
      stages.push({ rows: [row], tableIn: [tableIn], out });
    }
    tableIn = out;
  }
  return stages;
}

interface MobileNetV3Entry extends ModelEntry {
  size: 'large' | 'small';
}

const PAPER: FigureSource = { cite: 'Howard et al. 2019, Searching for MobileNetV3 (ICCV 2019), Table 3', rounding: 'nearest' };

const entry = (size: 'large' | 'small', width: number, madds: string, params: string, top1: number): MobileNetV3Entry => ({
  name: `mobilenetv3-${size}-${width.toFixed(2).replace(/0$/, '')}`,
  family: 'mobilenetv3',
  line: `mobilenetv3-${size}`,
  ...(width === 1 ? { aliases: [`mobilenetv3-${size}`] } : {}),
  size,
  resolution: 224,
  width,
  depth: 1,
  published: publishedFigures(PAPER, madds, params, top1),
});

export const mobilenetV3: FamilyDefinition<MobileNetV3Entry> = {
  family: 'mobilenetv3',
  description: 'MobileNetV3 (Howard et al., ICCV 2019): h-swish, SE with hard-sigmoid gate, efficient last stage',
  models: [
    entry('large', 1.0, '219M', '5.4M', 75.2),
    entry('large', 0.75, '155M', '4.0M', 73.3),
    entry('small', 1.0, '56M', '2.5M', 67.4),
    entry('small', 0.75, '44M', '2.0M', 65.4),
  ],
  knobs: ['lastStage'],
  defaults: () => ({ stem: TABLE_STEM, seWidth: 'expansion', seGate: 'hardsigmoid', seActivation: 'relu', lastStage: 'efficient' }),
  template(model, spec) {
    const line = LINES[model.size];
    const scale = (c: number): number => makeDivisible(c * spec.width);
    const blocks: BlockTemplate[] = [];
    let inChannels = spec.stem;
    for (const stage of stagesOf(line.rows)) {
      const outChannels = scale(stage.out);
      for (let r = 0; r < scaleRepeats(stage.rows.length, spec.depth); r++) {
        const [kernel, exp, , se, activation, stride] = stage.rows[Math.min(r, stage.rows.length - 1)]!;
        const tableIn = stage.tableIn[Math.min(r, stage.rows.length - 1)]!;
        blocks.push({
          in: inChannels,
          out: outChannels,
          expanded: makeDivisible((inChannels * exp) / tableIn),
          kernels: [kernel],
          stride: r === 0 ? stride : 1,
          seRatio: se ? 0.25 : null,
          activation,
        });
        inChannels = outChannels;
      }
    }
    const headChannels = scale(line.head);
    const head =
      spec.lastStage === 'original'
        ? [
            convStep('head', 'head', headChannels, 1, 1, 'hswish'),
            convStep('head.dw', 'head', headChannels, 3, 1, 'hswish', true),
            convStep('head.project', 'head', makeDivisible(headChannels / 3), 1, 1, null),
            convStep('head.expand', 'head', line.fc, 1, 1, 'hswish'),
            { kind: 'pool' as const, name: 'head.pool' },
          ]
        : [convStep('head', 'head', headChannels, 1, 1, 'hswish'), { kind: 'pool' as const, name: 'head.pool' }, convStep('head.fc1', 'head', line.fc, 1, 1, 'hswish')];
    return {
      stem: [stemStep(spec.stem, 'hswish')],
      blocks,
      head: [...head, { kind: 'classifier', name: 'classifier', classes: IMAGENET_CLASSES }],
    };
  },
};
