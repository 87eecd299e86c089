import type { Activation, Gate, SimpleStep } from './network-plan.js';
import type { PublishedFigures } from './published-figures.js';
import type { NormalizedVariantSpec, SeWidthRule } from './spec-types.js';

export type { SeWidthRule } from './spec-types.js';

/** A block as a family's table describes it, before the generic knobs (SE, kernels, activation) apply. */
export interface BlockTemplate {
  in: number;
  out: number;
  expanded: number;
  kernels: number[];
  stride: number;
  expandGroups?: number;
  projectGroups?: number;
  /** SE ratio of the table (relative to the block input for `input` width, 1/4 of the expansion otherwise); null: no SE */
  seRatio: number | null;
  activation: Activation;
  /** MobileNetV1: the pointwise conv carries the activation */
  separable?: boolean;
  /** MnasNet's first SepConv has no skip even when shapes allow one */
  noSkip?: boolean;
}

export interface NetworkTemplate {
  stem: SimpleStep[];
  blocks: BlockTemplate[];
  head: SimpleStep[];
}

export interface ModelEntry {
  /** canonical model name, e.g. `mobilenetv3-large-1.0` */
  name: string;
  family: string;
  /** models of one line differ only by width, depth and resolution (EfficientNet B0..B7, MobileNetV1 1.0-224..0.25-128) */
  line: string;
  /** shorter names that resolve to this model, e.g. `mobilenetv2` */
  aliases?: readonly string[];
  resolution: number;
  width: number;
  depth: number;
  published?: PublishedFigures;
}

export interface FamilyDefaults {
  stem: number;
  seWidth: SeWidthRule;
  seGate: Gate;
  seActivation: Activation | 'block';
  lastStage?: 'efficient' | 'original';
}

/** Knobs that only some families accept; the rest apply to every family. */
export type FamilyKnob = 'lastStage' | 'compound';

export interface FamilyDefinition<E extends ModelEntry = ModelEntry> {
  family: string;
  description: string;
  models: readonly E[];
  knobs: readonly FamilyKnob[];
  /** `width` is the (possibly overridden) width multiplier */
  defaults(entry: E, width: number): FamilyDefaults;
  template(entry: E, spec: NormalizedVariantSpec): NetworkTemplate;
}
