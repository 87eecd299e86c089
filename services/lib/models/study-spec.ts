import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { protocolSchema } from '../measure/protocol.js';
import type { MeasurementProtocol } from '../measure/protocol.js';
import { ModelSpecError } from './model-spec.error.js';
import { FORMAT_NAME, MODEL_FORMATS, type ModelFormat } from './model-format.js';
import type { NormalizedVariantSpec } from './variant-spec.js';
import { parseVariantSpec, specObjectFromName, UNKNOWN_KNOB, VARIANT_FIELDS, variantName, withKnobFields } from './variant-spec.js';
import { zodIssuePath } from '../errors/zod-error.js';

export const MAX_STUDY_VARIANTS = 256;

/** A model a user imported (POST /api/v1/models), as a study names it: by its name or sha256. */
export interface ImportedModelRef {
  sha256: string;
  name: string;
  format: ModelFormat;
}

/** Finds an imported model by name or sha256; undefined when none has it. */
export type ImportedModelLookup = (ref: string) => ImportedModelRef | undefined;

export interface StudyVariant {
  label: string;
  /** canonical variant name, or the imported model's name */
  name: string;
  /**
   * the format the variant is measured in: only agents that run it get its jobs. onnx and tflite
   * latfleet builds; any other (a vendor's, e.g. rknn) comes from an artifact attached to the
   * variant's ONNX model (POST /api/v1/models/{ref}/artifacts)
   */
  format: string;
  /** what the builder builds; null for an imported model */
  spec: NormalizedVariantSpec | null;
  imported?: ImportedModelRef;
}

/** Study-level keys a variant may carry besides its VariantSpec fields. */
const FORMAT_KEY = 'format';

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
  /** Labels whose network (and format) another label already builds: kept once, under `sameAs`. */
  collapsed?: Array<{ label: string; sameAs: string }>;
  /** rank the variants by predicted latency on one device and measure only some (the query service selects them) */
  measure?: MeasureSelection;
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

/** top-k: the k variants predicted fastest; pareto: those no other beats on both predicted latency and MAdds. The baseline is always measured. */
export interface MeasureSelection {
  select: 'top-k' | 'pareto';
  k: number;
  /** the device whose latest latency predictor ranks them (name or id) */
  device: string;
}

const measureSchema = z.strictObject({
  select: z.enum(['top-k', 'pareto'], { error: 'expected top-k or pareto' }),
  k: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).min(1).max(MAX_STUDY_VARIANTS).optional(),
  device: z.string({ error: 'expected a device name or id' }).min(1).max(200),
});

const devicesSchema = z.strictObject({
  class: z.enum(['cpu', 'android', 'npu'], { error: 'expected cpu, android or npu' }).optional(),
  cpuModel: z.string({ error: 'expected a string' }).min(1).optional(),
  tags: z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' }).optional(),
  ids: z
    .array(z.uuid({ error: 'expected a device id (uuid)' }), { error: 'expected a list of device ids' })
    .min(1)
    .optional(),
  each: z.boolean({ error: 'expected true or false' }).optional(),
});

type Scalar = string | number | boolean;
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' });
const baseSchema = z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a variant name or a spec object' });

const studySchema = z.strictObject({
  name: z.string({ error: 'expected a study name' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: 'expected 1-100 letters, digits, dots, dashes or underscores' }),
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
  baseline: z.union([z.string(), z.number(), z.boolean(), z.record(z.string(), scalar)], { error: 'expected a variant label or axis values' }).optional(),
  protocol: z.unknown().optional(),
  devices: devicesSchema.optional(),
  priority: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).min(-100).max(100).optional(),
  measure: measureSchema.optional(),
});

type StudyInput = z.infer<typeof studySchema>;

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

/** Knobs under their field names wherever a study gives them (base, axes, variants, baseline): `act` is `activation`. */
function withStudyKnobFields(input: StudyInput): StudyInput {
  const { base, axes, variants, baseline } = input;
  return {
    ...input,
    ...(isRecord(base) ? { base: withinField('base', null, () => withKnobFields(base)) } : {}),
    ...(axes ? { axes: withinField('axes', null, () => withKnobFields(axes)) as typeof axes } : {}),
    ...(variants ? { variants: variants.map((v, i) => (isRecord(v) ? withinField(`variants[${i}]`, null, () => withKnobFields(v)) : v)) } : {}),
    ...(isRecord(baseline) ? { baseline: withinField('baseline', null, () => withKnobFields(baseline)) as typeof baseline } : {}),
  };
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
  spec: NormalizedVariantSpec | null;
  format: string;
  imported?: ImportedModelRef;
}

function parseFormat(value: unknown): string {
  if (typeof value === 'string' && FORMAT_NAME.test(value)) return value;
  throw new ModelSpecError(FORMAT_KEY, `expected ${MODEL_FORMATS.join(', ')} or the format of an artifact attached to the variant (letters, digits, ._-)`);
}

/**
 * A variant from its fields (base, axis values, list item merged): the format apart from the
 * network's spec; an imported model when `model` names one (it takes no knobs: its file is the network).
 */
function resolveCandidate(fields: Record<string, unknown>, imported: ImportedModelLookup | undefined): Pick<Candidate, 'spec' | 'format' | 'imported'> {
  const { [FORMAT_KEY]: rawFormat, ...specFields } = fields;
  const format = rawFormat === undefined ? undefined : parseFormat(rawFormat);
  const ref = typeof specFields.model === 'string' ? imported?.(specFields.model.trim()) : undefined;
  if (ref) {
    const knob = Object.keys(specFields).find((k) => k !== 'model');
    if (knob) throw new ModelSpecError(knob, `imported model '${ref.name}' takes no variant knobs: its file is the network`);
    if (format !== undefined && format !== ref.format) throw new ModelSpecError(FORMAT_KEY, `imported model '${ref.name}' is ${ref.format}; it cannot be measured as ${format}`);
    return { spec: null, format: ref.format, imported: ref };
  }
  return { spec: parseVariantSpec(specFields), format: format ?? 'onnx' };
}

const candidateName = (c: Pick<Candidate, 'spec' | 'imported'>): string => c.imported?.name ?? variantName(c.spec!);

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Refuses a study with too many variants from the sizes alone, before building any combination. */
function checkVariantCount(input: StudyInput): void {
  const combinations = Object.values(input.axes ?? {}).reduce((n, values) => (n === 0 ? values.length : n * values.length), 0);
  if (combinations > MAX_STUDY_VARIANTS) throw new ModelSpecError('axes', `${combinations} combinations; at most ${MAX_STUDY_VARIANTS}`);
  const total = combinations + (input.variants?.length ?? 0);
  if (total > MAX_STUDY_VARIANTS) throw new ModelSpecError('variants', `${total} variants; at most ${MAX_STUDY_VARIANTS}`);
}

function axisCandidates(input: StudyInput, base: Record<string, unknown>, imported: ImportedModelLookup | undefined): Candidate[] {
  const axes = Object.entries(input.axes ?? {});
  if (axes.length === 0) return [];
  let combos: Array<Record<string, Scalar>> = [{}];
  for (const [key, values] of axes) combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  const byAxis = new Map(axes);
  for (const [key] of axes) if (!VARIANT_FIELDS.has(key) && key !== FORMAT_KEY) throw new ModelSpecError(`axes.${key}`, UNKNOWN_KNOB);
  for (const [key, values] of axes) {
    // validate every value once, so an error names the axis entry rather than a combination
    values.forEach((value, i) =>
      withinField(`axes.${key}[${i}]`, key, () => {
        try {
          resolveCandidate({ ...base, ...combos[0], [key]: value }, imported);
        } catch (error) {
          // another axis's first value is at fault: its own check names it
          if (!(error instanceof ModelSpecError && error.field !== key && byAxis.has(error.field))) throw error;
        }
      }),
    );
  }
  return combos.map((combo) => {
    const label =
      axes.length === 1
        ? String(Object.values(combo)[0])
        : Object.entries(combo)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(',');
    const field = `axes(${Object.entries(combo)
      .map(([k, v]) => `${k}[${byAxis.get(k)!.indexOf(v)}]`)
      .join(',')})`;
    return { label, field, axisValues: combo, ...withinField(field, null, () => resolveCandidate({ ...base, ...combo }, imported)) };
  });
}

function listCandidates(input: StudyInput, base: Record<string, unknown>, imported: ImportedModelLookup | undefined): Candidate[] {
  return (input.variants ?? []).map((item, i) => {
    const field = `variants[${i}]`;
    if (typeof item === 'string') {
      // an imported model's name is taken whole (it may hold `@` or `+`)
      const fields = imported?.(item.trim()) ? { model: item } : withinField(field, null, () => specObjectFromName(item));
      return { label: item, field, ...withinField(field, null, () => resolveCandidate({ ...base, ...fields }, imported)) };
    }
    const { label, ...overrides } = item;
    if (label !== undefined && (typeof label !== 'string' || label.trim() === '')) throw new ModelSpecError(`${field}.label`, 'expected a non-empty string');
    const resolved = withinField(field, null, () => resolveCandidate({ ...base, ...overrides }, imported));
    const named = label ?? candidateName(resolved);
    return { label: resolved.format === 'onnx' || label !== undefined ? named : `${named}:${resolved.format}`, field, ...resolved };
  });
}

function pickBaseline(input: StudyInput, candidates: Candidate[]): Candidate {
  const { baseline } = input;
  if (baseline === undefined) return candidates[0]!;
  // `baseline: 224` in YAML is the label '224' of a resolution axis
  const matches =
    typeof baseline !== 'object'
      ? candidates.filter((c) => c.label === String(baseline))
      : candidates.filter((c) => c.axisValues && Object.entries(baseline).every(([k, v]) => c.axisValues![k] === v));
  if (typeof baseline === 'object') {
    for (const key of Object.keys(baseline)) if (!input.axes?.[key]) throw new ModelSpecError(`baseline.${key}`, 'not an axis of this study');
  }
  if (matches.length === 0) throw new ModelSpecError('baseline', `matches no variant (labels: ${candidates.map((c) => c.label).join(', ')})`);
  if (matches.length > 1) throw new ModelSpecError('baseline', `matches ${matches.length} variants (${matches.map((c) => c.label).join(', ')}); name one`);
  return matches[0]!;
}

/**
 * A study: a base variant, ablation axes (cartesian product) and/or an explicit variant list, one
 * baseline (a label, or axis values; the first variant when omitted). Combinations that build the
 * same network in the same format are kept once. `format` (onnx, tflite) may be an axis or a field
 * of the base or a variant; `model` may name an imported model (found by `imported`, by name or
 * sha256). Errors name the field: `axes.activation[2]: expected one of ...`.
 */
export function parseStudySpec(raw: unknown, imported?: ImportedModelLookup): StudySpec {
  const value = typeof raw === 'string' ? fromText(raw) : raw;
  if (!isRecord(value)) throw new ModelSpecError('', 'expected a study spec object');
  const parsed = studySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') throw new ModelSpecError(zodIssuePath([...issue.path, issue.keys[0]!]), 'unknown field');
    throw new ModelSpecError(zodIssuePath(issue.path), issue.message);
  }
  const input = withStudyKnobFields(parsed.data);
  checkVariantCount(input);
  const base = baseObject(input.base);
  if (input.base !== undefined) withinField('base', null, () => (base.model === undefined ? null : resolveCandidate(base, imported)));
  const candidates = [...axisCandidates(input, base, imported), ...listCandidates(input, base, imported)];
  if (candidates.length === 0) {
    if (input.base === undefined) throw new ModelSpecError('variants', 'expected axes, variants or a base');
    const resolved = withinField('base', null, () => resolveCandidate(base, imported));
    candidates.push({ label: candidateName(resolved), field: 'base', ...resolved });
  }
  const baseline = pickBaseline(input, candidates);

  const labels = new Map<string, Candidate>();
  const names = new Map<string, Candidate>();
  let baselineLabel = baseline.label;
  const variants: StudyVariant[] = [];
  const collapsed: NonNullable<StudySpec['collapsed']> = [];
  for (const c of candidates) {
    if (labels.has(c.label)) throw new ModelSpecError(`${c.field}.label`, `duplicate label '${c.label}'`);
    labels.set(c.label, c);
    const name = candidateName(c);
    const key = `${name} ${c.format}`;
    const same = names.get(key);
    if (same) {
      if (c === baseline) baselineLabel = same.label;
      collapsed.push({ label: c.label, sameAs: same.label });
      continue;
    }
    names.set(key, c);
    variants.push({ label: c.label, name, format: c.format, spec: c.spec, ...(c.imported ? { imported: c.imported } : {}) });
  }

  let protocol: MeasurementProtocol | undefined;
  if (input.protocol !== undefined) {
    const result = protocolSchema.safeParse(input.protocol);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
      throw new ModelSpecError(zodIssuePath(['protocol', ...path]), issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message);
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
    ...(collapsed.length > 0 ? { collapsed } : {}),
    ...(input.measure ? { measure: { select: input.measure.select, k: input.measure.k ?? 5, device: input.measure.device } } : {}),
  };
}
