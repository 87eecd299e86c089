import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { protocolSchema } from '../measure/protocol.js';
import type { MeasurementProtocol } from '../measure/protocol.js';
import { ModelSpecError } from './model-spec.error.js';
import type { NormalizedVariantSpec } from './variant-spec.js';
import { parseVariantSpec, specObjectFromName, VARIANT_FIELDS, variantName } from './variant-spec.js';

export const MAX_STUDY_VARIANTS = 256;

export interface StudyVariant {
  label: string;
  /** canonical variant name */
  name: string;
  spec: NormalizedVariantSpec;
}

export interface StudySpec {
  name: string;
  description?: string;
  /** label of the one baseline variant */
  baseline: string;
  variants: StudyVariant[];
  protocol?: MeasurementProtocol;
  devices?: DeviceSelection;
  /** Higher runs first; equal priorities share the fleet. */
  priority: number;
}

/**
 * Which devices run the study. Without `each`, every variant runs once, on any device that
 * matches; with `each` (or `ids`), every variant runs on each matching device known when the
 * study is created.
 */
export interface DeviceSelection {
  class?: 'cpu' | 'android' | 'npu';
  cpuModel?: string;
  tags?: Record<string, string>;
  ids?: string[];
  each?: boolean;
}

const devicesSchema = z.strictObject({
  class: z.enum(['cpu', 'android', 'npu'], { error: 'expected cpu, android or npu' }).optional(),
  cpuModel: z.string({ error: 'expected a string' }).min(1).optional(),
  tags: z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' }).optional(),
  ids: z.array(z.uuid({ error: 'expected a device id (uuid)' }), { error: 'expected a list of device ids' }).min(1).optional(),
  each: z.boolean({ error: 'expected true or false' }).optional(),
});

type Scalar = string | number | boolean;
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' });
const baseSchema = z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a variant name or a spec object' });

const studySchema = z.strictObject({
  name: z
    .string({ error: 'expected a study name' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: 'expected 1-100 letters, digits, dots, dashes or underscores' }),
  description: z.string({ error: 'expected a string' }).max(2000, { error: 'at most 2000 characters' }).optional(),
  base: baseSchema.optional(),
  axes: z
    .record(z.string(), z.array(scalar, { error: 'expected a list of values' }).min(1, { error: 'expected at least one value' }), {
      error: 'expected an object of axis lists',
    })
    .optional(),
  variants: z
    .array(z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a variant name or a spec object' }), {
      error: 'expected a list of variants',
    })
    .optional(),
  baseline: z.union([z.string(), z.record(z.string(), scalar)], { error: 'expected a variant label or axis values' }).optional(),
  protocol: z.unknown().optional(),
  devices: devicesSchema.optional(),
  priority: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).min(-100).max(100).optional(),
});

type StudyInput = z.infer<typeof studySchema>;

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

function fromText(text: string): unknown {
  try {
    return text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ModelSpecError('', `not valid JSON or YAML: ${(error as Error).message}`);
  }
}

/** Re-throws a variant error under the study field the value came from. */
function withinField<T>(field: string, axisKey: string | null, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof ModelSpecError)) throw error;
    const detail = error.message.slice(error.field ? error.field.length + 2 : 0);
    const inner = axisKey !== null && error.field === axisKey ? '' : error.field;
    throw new ModelSpecError(inner ? `${field}.${inner}` : field, detail);
  }
}

function baseObject(base: StudyInput['base']): Record<string, unknown> {
  if (base === undefined) return {};
  // A base given as a name may carry a resolution and knobs: `mobilenetv3-small-0.75@96+act=relu`.
  return typeof base === 'string' ? withinField('base', null, () => specObjectFromName(base)) : { ...base };
}

interface Candidate {
  label: string;
  field: string;
  axisValues?: Record<string, Scalar>;
  spec: NormalizedVariantSpec;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Refuses a study with too many variants from the sizes alone, before building any combination. */
function checkVariantCount(input: StudyInput): void {
  const combinations = Object.values(input.axes ?? {}).reduce((n, values) => (n === 0 ? values.length : n * values.length), 0);
  if (combinations > MAX_STUDY_VARIANTS) throw new ModelSpecError('axes', `${combinations} combinations; at most ${MAX_STUDY_VARIANTS}`);
  const total = combinations + (input.variants?.length ?? 0);
  if (total > MAX_STUDY_VARIANTS) throw new ModelSpecError('variants', `${total} variants; at most ${MAX_STUDY_VARIANTS}`);
}

function axisCandidates(input: StudyInput, base: Record<string, unknown>): Candidate[] {
  const axes = Object.entries(input.axes ?? {});
  if (axes.length === 0) return [];
  let combos: Array<Record<string, Scalar>> = [{}];
  for (const [key, values] of axes) combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  const byAxis = new Map(axes);
  for (const [key] of axes) if (!VARIANT_FIELDS.has(key)) throw new ModelSpecError(`axes.${key}`, 'unknown variant field');
  for (const [key, values] of axes) {
    // validate every value once, so an error names the axis entry rather than a combination
    values.forEach((value, i) =>
      withinField(`axes.${key}[${i}]`, key, () => {
        try {
          parseVariantSpec({ ...base, ...combos[0], [key]: value });
        } catch (error) {
          // another axis's first value is at fault: its own check names it
          if (!(error instanceof ModelSpecError && error.field !== key && byAxis.has(error.field))) throw error;
        }
      }),
    );
  }
  return combos.map((combo) => {
    const label = axes.length === 1 ? String(Object.values(combo)[0]) : Object.entries(combo).map(([k, v]) => `${k}=${String(v)}`).join(',');
    const field = `axes(${Object.entries(combo).map(([k, v]) => `${k}[${byAxis.get(k)!.indexOf(v)}]`).join(',')})`;
    return { label, field, axisValues: combo, spec: withinField(field, null, () => parseVariantSpec({ ...base, ...combo })) };
  });
}

function listCandidates(input: StudyInput, base: Record<string, unknown>): Candidate[] {
  return (input.variants ?? []).map((item, i) => {
    const field = `variants[${i}]`;
    if (typeof item === 'string') {
      const spec = withinField(field, null, () => parseVariantSpec({ ...base, ...specObjectFromName(item) }));
      return { label: item, field, spec };
    }
    const { label, ...overrides } = item;
    if (label !== undefined && (typeof label !== 'string' || label.trim() === '')) throw new ModelSpecError(`${field}.label`, 'expected a non-empty string');
    const spec = withinField(field, null, () => parseVariantSpec({ ...base, ...overrides }));
    return { label: label ?? variantName(spec), field, spec };
  });
}

function pickBaseline(input: StudyInput, candidates: Candidate[]): Candidate {
  const { baseline } = input;
  if (baseline === undefined) return candidates[0]!;
  const matches =
    typeof baseline === 'string'
      ? candidates.filter((c) => c.label === baseline)
      : candidates.filter((c) => c.axisValues && Object.entries(baseline).every(([k, v]) => c.axisValues![k] === v));
  if (typeof baseline !== 'string') {
    for (const key of Object.keys(baseline)) if (!input.axes?.[key]) throw new ModelSpecError(`baseline.${key}`, 'not an axis of this study');
  }
  if (matches.length === 0) throw new ModelSpecError('baseline', `matches no variant (labels: ${candidates.map((c) => c.label).join(', ')})`);
  if (matches.length > 1) throw new ModelSpecError('baseline', `matches ${matches.length} variants (${matches.map((c) => c.label).join(', ')}); name one`);
  return matches[0]!;
}

/**
 * A study: a base variant, ablation axes (cartesian product) and/or an explicit variant list, one
 * baseline (a label, or axis values; the first variant when omitted). Combinations that build the
 * same network are kept once. Errors name the field: `axes.activation[2]: expected one of ...`.
 */
export function parseStudySpec(raw: unknown): StudySpec {
  const value = typeof raw === 'string' ? fromText(raw) : raw;
  if (!isRecord(value)) throw new ModelSpecError('', 'expected a study spec object');
  const parsed = studySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') throw new ModelSpecError(formatPath([...issue.path, issue.keys[0]!]), 'unknown field');
    throw new ModelSpecError(formatPath(issue.path), issue.message);
  }
  const input = parsed.data;
  checkVariantCount(input);
  const base = baseObject(input.base);
  if (input.base !== undefined) withinField('base', null, () => (base.model === undefined ? null : parseVariantSpec(base)));
  const candidates = [...axisCandidates(input, base), ...listCandidates(input, base)];
  if (candidates.length === 0) {
    if (input.base === undefined) throw new ModelSpecError('variants', 'expected axes, variants or a base');
    candidates.push({ label: variantName(parseVariantSpec(base)), field: 'base', spec: parseVariantSpec(base) });
  }
  const baseline = pickBaseline(input, candidates);

  const labels = new Map<string, Candidate>();
  const names = new Map<string, Candidate>();
  let baselineLabel = baseline.label;
  const variants: StudyVariant[] = [];
  for (const c of candidates) {
    if (labels.has(c.label)) throw new ModelSpecError(`${c.field}.label`, `duplicate label '${c.label}'`);
    labels.set(c.label, c);
    const name = variantName(c.spec);
    const same = names.get(name);
    if (same) {
      if (c === baseline) baselineLabel = same.label;
      continue;
    }
    names.set(name, c);
    variants.push({ label: c.label, name, spec: c.spec });
  }

  let protocol: MeasurementProtocol | undefined;
  if (input.protocol !== undefined) {
    const result = protocolSchema.safeParse(input.protocol);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
      throw new ModelSpecError(formatPath(['protocol', ...path]), issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message);
    }
    protocol = result.data;
  }
  return {
    name: input.name,
    ...(input.description === undefined ? {} : { description: input.description }),
    baseline: baselineLabel,
    variants,
    ...(protocol ? { protocol } : {}),
    ...(input.devices ? { devices: input.devices } : {}),
    priority: input.priority ?? 0,
  };
}
