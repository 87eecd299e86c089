import type { BlockTemplate } from '../family.js';
import type { Activation } from '../network-plan.js';
import { scaleRepeats } from './steps.js';

/** One stage of a paper's table: `repeats` blocks, the first with `stride`. */
export interface StageRow {
  kernels: number[];
  /** expansion ratio: expanded channels = block input * expand */
  expand: number;
  out: number;
  repeats: number;
  stride: number;
  /** SE ratio, or null */
  se: number | null;
  activation: Activation;
  expandGroups?: number;
  projectGroups?: number;
  separable?: boolean;
  noSkip?: boolean;
}

/** Lowers stage rows to blocks: channels through the family's width rule, repeats through ceil(n * depth). */
export function lowerStages(rows: readonly StageRow[], stemChannels: number, scale: (channels: number) => number, depth: number): BlockTemplate[] {
  const blocks: BlockTemplate[] = [];
  let inChannels = stemChannels;
  for (const row of rows) {
    const out = scale(row.out);
    for (let r = 0; r < scaleRepeats(row.repeats, depth); r++) {
      blocks.push({
        in: inChannels,
        out,
        expanded: inChannels * row.expand,
        kernels: [...row.kernels],
        stride: r === 0 ? row.stride : 1,
        seRatio: row.se,
        activation: row.activation,
        ...(row.expandGroups ? { expandGroups: row.expandGroups } : {}),
        ...(row.projectGroups ? { projectGroups: row.projectGroups } : {}),
        ...(row.separable ? { separable: true } : {}),
        ...(row.noSkip ? { noSkip: true } : {}),
      });
      inChannels = out;
    }
  }
  return blocks;
}

/** Compact row syntax for MBConv tables: kernel(s), expansion, out, repeats, stride, SE ratio. */
export function mbconv(
  kernels: number | number[],
  expand: number,
  out: number,
  repeats: number,
  stride: number,
  se: number | null,
  activation: Activation,
  extra: Partial<StageRow> = {},
): StageRow {
  return { kernels: Array.isArray(kernels) ? kernels : [kernels], expand, out, repeats, stride, se, activation, ...extra };
}
