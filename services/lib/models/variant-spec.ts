import { z } from 'zod';
import { ACTIVATION_HELP, ActivationSpecError, formatActivationSpec, parseActivationSpec } from './activation-spec.js';
import type { FamilyDefinition, ModelEntry } from './family.js';
import { FAMILIES } from './families/index.js';
import { KNOB_LIST, KNOBS, knobField } from './knobs.js';
import { ModelSpecError } from './model-spec.error.js';
import { resolvePlan } from './plan-resolver.js';
import type { NormalizedVariantSpec, SePlacement, VariantSpec } from './spec-types.js';
import { zodIssuePath } from '../errors/zod-error.js';

export type { NormalizedVariantSpec, SePlacement, VariantSpec } from './spec-types.js';

const oneOf = <T extends string>(values: readonly [T, ...T[]]) => z.enum(values, { error: `expected one of ${values.join(', ')}` });
const integer = (min: number, max: number) => {
  const error = `expected an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const decimal = (min: number, max: number) => {
  const error = `expected a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
};

export const variantSpecSchema = z.strictObject({
  model: z.string({ error: 'expected a model name' }).min(1, { error: 'expected a model name' }),
  resolution: integer(32, 1024).optional(),
  activation: z
    .string({ error: ACTIVATION_HELP })
    .superRefine((value, ctx) => {
      try {
        parseActivationSpec(value);
      } catch (error) {
        if (!(error instanceof ActivationSpecError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
      }
    })
    .optional(),
  hswishImpl: oneOf(['fused', 'decomposed', 'swish']).optional(),
  se: z.union([z.boolean(), z.enum(['paper', 'none', 'all'])], { error: 'expected true, false, paper, none or all' }).optional(),
  seWidth: oneOf(['expansion', 'input']).optional(),
  seGate: oneOf(['sigmoid', 'hardsigmoid']).optional(),
  lastStage: oneOf(['efficient', 'original']).optional(),
  stem: integer(8, 512).optional(),
  kernels: integer(1, 5).optional(),
  channelSplit: oneOf(['equal', 'exponential']).optional(),
  dilated: z.boolean({ error: 'expected true or false' }).optional(),
  width: decimal(0.05, 4).optional(),
  depth: decimal(0.1, 8).optional(),
  compound: decimal(0, 8).optional(),
  quantization: oneOf(['none', 'int8', 'int8-per-channel']).optional(),
  seed: integer(0, 0xffffffff).optional(),
});

/** `+key=value` suffixes of a variant name; the short key first, then the spec field it sets. */
const NAME_KEYS = KNOBS.flatMap((k) => (k.short === null ? [] : [[k.short, k.field] as const]));

const NUMERIC_FIELDS = new Set<string>(['resolution', 'width', 'depth', 'stem', 'kernels', 'seed', 'compound']);

export const VARIANT_FIELDS: ReadonlySet<string> = new Set(Object.keys(variantSpecSchema.shape));

const fieldOfKey = (key: string): keyof VariantSpec | undefined => (key === 'resolution' ? undefined : knobField(key));

/**
 * A spec object with every knob under its field name: `{act: relu}` is `{activation: relu}`, as in
 * variant names. A knob given twice (`act` and `activation`) is an error; unknown keys stay for the schema to name.
 */
export function withKnobFields(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(object)) {
    const field = knobField(key) ?? key;
    if (given.has(field)) throw new ModelSpecError(field, `given twice, as ${given.get(field)} and as ${key}`);
    given.set(field, key);
    out[field] = value;
  }
  return out;
}

export const UNKNOWN_KNOB = `unknown knob; knobs: ${KNOB_LIST}`;

/** `mobilenetv3-large-1.0@160+act=relu+hswish=decomposed` -> spec object with only the named fields (not yet validated). */
export function specObjectFromName(text: string): Record<string, unknown> {
  const [head = '', ...suffixes] = text.trim().split('+');
  const [model, resolution, ...extra] = head.split('@');
  if (extra.length > 0) throw new ModelSpecError('resolution', `'${head}' has more than one @`);
  const spec: Record<string, unknown> = { model };
  if (resolution !== undefined) spec.resolution = /^\d+$/.test(resolution) ? Number(resolution) : resolution;
  for (const suffix of suffixes) {
    const eq = suffix.indexOf('=');
    const key = eq < 0 ? suffix : suffix.slice(0, eq);
    const field = fieldOfKey(key);
    if (!field) throw new ModelSpecError(key, `unknown knob in variant name '${text}'; knobs: ${KNOB_LIST}`);
    const raw = eq < 0 ? 'true' : suffix.slice(eq + 1);
    let value: unknown = raw;
    if (raw === 'true' || raw === 'false') value = raw === 'true';
    else if (NUMERIC_FIELDS.has(field) && raw.trim() !== '' && Number.isFinite(Number(raw))) value = Number(raw);
    spec[field] = value;
  }
  return spec;
}

function validate(input: unknown): VariantSpec {
  const candidate = typeof input === 'string' ? specObjectFromName(input) : input;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new ModelSpecError('', 'expected a variant name or a spec object');
  }
  const result = variantSpecSchema.safeParse(withKnobFields(candidate as Record<string, unknown>));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw new ModelSpecError(issue.keys[0]!, UNKNOWN_KNOB);
  throw new ModelSpecError(zodIssuePath(issue.path), issue.message);
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

interface Resolved {
  family: FamilyDefinition;
  entry: ModelEntry;
  spec: NormalizedVariantSpec;
}

export function allModels(): Array<{ family: FamilyDefinition; entry: ModelEntry }> {
  return FAMILIES.flatMap((family) => family.models.map((entry) => ({ family, entry })));
}

function findModel(name: string): { family: FamilyDefinition; entry: ModelEntry } {
  const key = name.trim().toLowerCase();
  const found = allModels().find(({ entry }) => entry.name === key || entry.aliases?.includes(key));
  if (!found)
    throw new ModelSpecError(
      'model',
      `unknown model '${name}'; known: ${allModels()
        .map((m) => m.entry.name)
        .join(', ')}`,
    );
  return found;
}

/** Among the models of one line, the one that needs the fewest width/depth/resolution overrides. */
function canonicalEntry(family: FamilyDefinition, given: ModelEntry, width: number, depth: number, resolution: number): ModelEntry {
  const overrides = (e: ModelEntry): number => Number(e.width !== width) + Number(e.depth !== depth) + Number(e.resolution !== resolution);
  let best = given;
  for (const e of family.models) if (e.line === given.line && overrides(e) < overrides(best)) best = e;
  return best;
}

export function resolveVariantSpec(input: unknown): Resolved {
  const raw = validate(input);
  const { family, entry: given } = findModel(raw.model);
  for (const knob of ['lastStage', 'compound'] as const) {
    if (raw[knob] !== undefined && !family.knobs.includes(knob)) {
      throw new ModelSpecError(knob, `does not apply to the ${family.family} family`);
    }
  }
  let width = raw.width ?? given.width;
  let depth = raw.depth ?? given.depth;
  let resolution = raw.resolution ?? given.resolution;
  if (raw.compound !== undefined) {
    if (raw.width !== undefined || raw.depth !== undefined || raw.resolution !== undefined) {
      throw new ModelSpecError('compound', 'cannot be combined with width, depth or resolution');
    }
    width = given.width * 1.1 ** raw.compound;
    depth = given.depth * 1.2 ** raw.compound;
    resolution = Math.round(given.resolution * 1.15 ** raw.compound);
  }
  width = round4(width);
  depth = round4(depth);
  const entry = canonicalEntry(family, given, width, depth, resolution);
  const defaults = family.defaults(entry, width);
  const se: SePlacement = raw.se === true ? 'paper' : raw.se === false ? 'none' : (raw.se ?? 'paper');
  const spec: NormalizedVariantSpec = {
    model: entry.name,
    resolution,
    width,
    depth,
    stem: raw.stem ?? defaults.stem,
    ...(family.knobs.includes('lastStage') ? { lastStage: raw.lastStage ?? defaults.lastStage ?? 'efficient' } : {}),
    activation: raw.activation === undefined ? 'paper' : formatActivationSpec(raw.activation),
    hswishImpl: raw.hswishImpl ?? 'fused',
    se,
    seWidth: raw.seWidth ?? defaults.seWidth,
    seGate: raw.seGate ?? defaults.seGate,
    ...(raw.kernels === undefined ? {} : { kernels: raw.kernels }),
    channelSplit: raw.channelSplit ?? 'equal',
    dilated: raw.dilated ?? false,
    quantization: raw.quantization ?? 'none',
    seed: raw.seed ?? 0,
  };
  return { family, entry, spec: withoutIdleKnobs(family, entry, spec) };
}

/** Knobs that change nothing in this network take their defaults, so one network has one name. */
function withoutIdleKnobs(family: FamilyDefinition, entry: ModelEntry, spec: NormalizedVariantSpec): NormalizedVariantSpec {
  const defaults = family.defaults(entry, spec.width);
  const plan = resolvePlan(family.template(entry, spec), spec, defaults);
  const usesHswish =
    [...plan.stem, ...plan.head].some((s) => s.kind === 'conv' && s.activation === 'hswish') || plan.blocks.some((b) => b.activation === 'hswish' || b.se?.activation === 'hswish');
  const usesSe = plan.blocks.some((b) => b.se !== null);
  const usesSplit = plan.blocks.some((b) => b.kernels.length > 1 || b.expandGroups > 1 || b.projectGroups > 1);
  return {
    ...spec,
    ...(usesHswish ? {} : { hswishImpl: 'fused' }),
    ...(usesSe ? {} : { seWidth: defaults.seWidth, seGate: defaults.seGate }),
    ...(usesSplit ? {} : { channelSplit: 'equal' }),
  };
}

/** Validates and normalizes: every applicable knob filled, the model name canonical. */
export function parseVariantSpec(input: unknown): NormalizedVariantSpec {
  return resolveVariantSpec(input).spec;
}

/** Canonical, stable name: the model, `@resolution` when not the model's own, then `+key=value` for every non-default knob. */
export function variantName(input: VariantSpec | string): string {
  const { family, entry, spec } = resolveVariantSpec(input);
  const defaults = family.defaults(entry, spec.width);
  const reference: Record<string, unknown> = {
    width: entry.width,
    depth: entry.depth,
    stem: defaults.stem,
    lastStage: defaults.lastStage ?? 'efficient',
    activation: 'paper',
    hswishImpl: 'fused',
    se: 'paper',
    seWidth: defaults.seWidth,
    seGate: defaults.seGate,
    kernels: undefined,
    channelSplit: 'equal',
    dilated: false,
    quantization: 'none',
    seed: 0,
  };
  let name = spec.model + (spec.resolution === entry.resolution ? '' : `@${spec.resolution}`);
  const values = spec as unknown as Record<string, unknown>;
  for (const [short, field] of NAME_KEYS) {
    const value = values[field];
    if (value === undefined || value === reference[field]) continue;
    name += value === true ? `+${short}` : `+${short}=${String(value)}`;
  }
  return name;
}
