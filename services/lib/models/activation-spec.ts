import type { Activation } from './network-plan.js';

export const ACTIVATIONS: readonly Activation[] = ['relu', 'relu6', 'hswish', 'swish'];
export const ACTIVATION_PRESETS = ['paper', 'relu', 'relu6', 'hswish', 'swish', '@16', '@112'] as const;

/** Where a layer sits: its block index (stem and head have none) and its output channels. */
export interface LayerSite {
  part: 'stem' | 'block' | 'head';
  index: number;
  channels: number;
}

type Base = { kind: 'paper' } | { kind: 'all'; activation: Activation } | { kind: 'threshold'; channels: number };
interface RangeRule {
  part: 'stem' | 'head' | 'block';
  from: number;
  to: number;
  activation: Activation;
}

export interface ActivationSpec {
  base: Base;
  rules: RangeRule[];
}

export class ActivationSpecError extends Error {}

const isActivation = (text: string): text is Activation => (ACTIVATIONS as readonly string[]).includes(text);

export const ACTIVATION_HELP = `expected one of ${ACTIVATION_PRESETS.join(', ')}, optionally followed by block ranges like 'paper,0-5:relu,12-:hswish,stem:relu'`;

/**
 * `paper` (the table's activations), one activation everywhere, `@N` (h-swish in layers with at least
 * N output channels, ReLU elsewhere: MobileNetV3 Table 5), then comma-separated overrides
 * `<from>-<to>:act`, `<from>-:act`, `<i>:act`, `stem:act`, `head:act` on block indices.
 */
export function parseActivationSpec(text: string): ActivationSpec {
  const items = text.split(',').map((s) => s.trim());
  const [first, ...rest] = items;
  let base: Base;
  if (first === 'paper') base = { kind: 'paper' };
  else if (first && isActivation(first)) base = { kind: 'all', activation: first };
  else if (first && /^@\d+$/.test(first)) base = { kind: 'threshold', channels: Number(first.slice(1)) };
  else throw new ActivationSpecError(ACTIVATION_HELP);
  const rules = rest.map((item): RangeRule => {
    const match = /^(stem|head|\d+(?:-\d*)?):([a-z0-9]+)$/.exec(item);
    if (!match || !isActivation(match[2]!)) throw new ActivationSpecError(`'${item}': ${ACTIVATION_HELP}`);
    const activation = match[2];
    const range = match[1]!;
    if (range === 'stem' || range === 'head') return { part: range, from: 0, to: Infinity, activation };
    const [from, to] = range.split('-');
    const start = Number(from);
    const end = to === undefined ? start : to === '' ? Infinity : Number(to);
    if (end < start) throw new ActivationSpecError(`'${item}': range end before start`);
    return { part: 'block', from: start, to: end, activation };
  });
  return { base, rules };
}

export function formatActivationSpec(text: string): string {
  return text
    .split(',')
    .map((s) => s.trim())
    .join(',');
}

/** The activation a layer gets; `paper` is what the family's table says. */
export function resolveActivation(spec: ActivationSpec, site: LayerSite, paper: Activation): Activation {
  let activation: Activation;
  switch (spec.base.kind) {
    case 'paper':
      activation = paper;
      break;
    case 'all':
      activation = spec.base.activation;
      break;
    case 'threshold':
      activation = site.channels >= spec.base.channels ? 'hswish' : 'relu';
      break;
  }
  for (const rule of spec.rules) {
    if (rule.part !== site.part) continue;
    if (rule.part === 'block' && (site.index < rule.from || site.index > rule.to)) continue;
    activation = rule.activation;
  }
  return activation;
}
