import type { ActivationSpec } from './activation-spec.js';
import { parseActivationSpec, resolveActivation } from './activation-spec.js';
import { makeDivisible, splitChannels } from './channels.js';
import type { FamilyDefaults, NetworkTemplate } from './family.js';
import { ModelSpecError } from './model-spec.error.js';
import type { BlockPlan, NetworkPlan, SimpleStep } from './network-plan.js';
import type { NormalizedVariantSpec } from './spec-types.js';

export const MIXCONV_KERNELS = [3, 5, 7, 9, 11] as const;

function resolveStep(step: SimpleStep, part: 'stem' | 'head', activation: ActivationSpec): SimpleStep {
  if (step.kind !== 'conv' || step.activation === null) return step;
  return { ...step, activation: resolveActivation(activation, { part, index: 0, channels: step.out }, step.activation) };
}

/** Applies the family-independent knobs (activation, SE, kernels, dilation, channel split) to a family's template. */
export function resolvePlan(template: NetworkTemplate, spec: NormalizedVariantSpec, defaults: FamilyDefaults): NetworkPlan {
  const activation = parseActivationSpec(spec.activation);
  const blocks = template.blocks.map((b, index): BlockPlan => {
    const blockActivation = resolveActivation(activation, { part: 'block', index, channels: b.out }, b.activation);
    const kernels = spec.kernels ? MIXCONV_KERNELS.slice(0, spec.kernels) : b.kernels;
    try {
      splitChannels(b.expanded, kernels.length, spec.channelSplit);
    } catch {
      const field = spec.kernels ? 'kernels' : 'channelSplit';
      throw new ModelSpecError(field, `block ${index} has ${b.expanded} depthwise channels: too few for ${kernels.length} ${spec.channelSplit} kernel groups`);
    }
    // as the reference MDConv (tpu mixnet custom_layers.py): dilation only where the stride is 1
    const dilate = (k: number): boolean => spec.dilated && k > 3 && b.stride === 1;
    const seRatio = spec.se === 'none' ? null : spec.se === 'all' ? (b.seRatio ?? 0.25) : b.seRatio;
    const seChannels = seRatio === null ? 0 : spec.seWidth === 'expansion' ? makeDivisible(b.expanded / 4) : Math.max(1, Math.floor(b.in * seRatio));
    return {
      in: b.in,
      out: b.out,
      expanded: b.expanded,
      expand: b.expanded !== b.in,
      kernels: kernels.map((k) => (dilate(k) ? 3 : k)),
      dilations: kernels.map((k) => (dilate(k) ? (k - 1) / 2 : 1)),
      stride: b.stride,
      expandGroups: b.expandGroups ?? 1,
      projectGroups: b.projectGroups ?? 1,
      channelSplit: spec.channelSplit,
      se: seRatio === null ? null : { channels: seChannels, activation: defaults.seActivation, gate: spec.seGate },
      activation: blockActivation,
      projectActivation: b.separable ? blockActivation : null,
      projectRole: b.separable ? 'pointwise' : 'project',
      residual: !b.noSkip && b.stride === 1 && b.in === b.out,
    };
  });
  return {
    resolution: spec.resolution,
    stem: template.stem.map((s) => resolveStep(s, 'stem', activation)),
    blocks,
    head: template.head.map((s) => resolveStep(s, 'head', activation)),
  };
}
