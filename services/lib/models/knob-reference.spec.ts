import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { knobReference, knobReferenceMarkdown, NOT_APPLICABLE } from './knob-reference.js';
import { KNOB_LIST, KNOBS } from './knobs.js';
import { ModelSpecError, parseStudySpec, parseVariantSpec, variantName } from './index.js';
import { variantSpecSchema } from './variant-spec.js';

const fieldOf = (fn: () => unknown): ModelSpecError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ModelSpecError) return error;
    throw error;
  }
  throw new Error('expected a ModelSpecError');
};

describe('knob vocabulary', () => {
  const SHORT = [
    ['last', 'lastStage', 'original', 'mobilenetv3-large-1.0'],
    ['act', 'activation', 'relu', 'mixnet-s'],
    ['hswish', 'hswishImpl', 'decomposed', 'mobilenetv3-large-1.0'],
    ['split', 'channelSplit', 'exponential', 'mixnet-s'],
    ['quant', 'quantization', 'int8', 'mixnet-s'],
  ] as const;

  it('has a case below for every knob whose short name differs', () => {
    expect(SHORT.map(([short]) => short)).toEqual(KNOBS.filter((k) => k.short !== null && k.short !== k.field).map((k) => k.short));
  });

  it.each(SHORT)('takes %s in a spec object as %s', (short, field, value, model) => {
    const sut = parseVariantSpec({ model, [short]: value });

    expect(sut).toEqual(parseVariantSpec({ model, [field]: value }));
    expect(sut).not.toEqual(parseVariantSpec({ model }));
  });

  it('takes the short names in study variants, axes and baselines', () => {
    const sut = parseStudySpec({
      name: 'short-names',
      base: { model: 'mobilenetv3-large-1.0', hswish: 'decomposed' },
      axes: { act: ['paper', 'relu'], quant: ['none', 'int8'] },
      variants: [{ label: 'relu-everywhere-fused', act: 'relu', hswish: 'fused' }],
      baseline: { act: 'paper', quant: 'none' },
    });

    expect(sut.baseline).toBe('activation=paper,quantization=none');
    expect(sut.variants.map((v) => v.name)).toEqual([
      'mobilenetv3-large-1.0+hswish=decomposed',
      'mobilenetv3-large-1.0+hswish=decomposed+quant=int8',
      'mobilenetv3-large-1.0+act=relu',
      'mobilenetv3-large-1.0+act=relu+quant=int8',
    ]);
  });

  it('refuses a knob given twice, by both names', () => {
    const sut = fieldOf(() => parseVariantSpec({ model: 'mobilenetv2-1.0', act: 'relu', activation: 'hswish' }));

    expect(sut.message).toBe('activation: given twice, as act and as activation');
  });

  it('takes a numeric baseline from YAML as the label of a one-axis study', () => {
    const sut = parseStudySpec(['name: res', 'base: mobilenetv3-small-1.0', 'axes:', '  resolution: [160, 192, 224]', 'baseline: 224'].join('\n'));

    expect(sut.baseline).toBe('224');
    expect(sut.variants.find((v) => v.label === sut.baseline)!.name).toBe('mobilenetv3-small-1.0');
  });

  it.each([
    [() => parseVariantSpec({ model: 'mobilenetv2-1.0', actvation: 'relu' }), 'actvation'],
    [() => parseVariantSpec('mobilenetv2-1.0+activaton=relu'), 'activaton'],
    [() => parseStudySpec({ name: 's', base: 'mobilenetv2-1.0', axes: { actvation: ['relu'] } }), 'axes.actvation'],
    [() => parseStudySpec({ name: 's', base: 'mobilenetv2-1.0', variants: [{ hswsh: 'fused' }] }), 'variants[0].hswsh'],
  ])('lists every knob when one is unknown (%#)', (fn, field) => {
    const sut = fieldOf(fn);

    expect(sut.field).toBe(field);
    expect(sut.message).toContain(`knobs: ${KNOB_LIST}`);
    expect(KNOB_LIST).toContain('activation (act)');
  });
});

describe('knob reference', () => {
  it('docs/knobs.md is the reference the code generates', () => {
    const sut = readFileSync(new URL('../../../docs/knobs.md', import.meta.url), 'utf8');

    expect(sut).toBe(knobReferenceMarkdown());
  });

  it('has a definition for every field of the variant spec schema but the model', () => {
    expect(KNOBS.map((k) => k.field).sort()).toEqual(
      Object.keys(variantSpecSchema.shape)
        .filter((f) => f !== 'model')
        .sort(),
    );
  });

  it('lists every knob with the values the schema takes and a paper, in canonical name order', () => {
    const sut = knobReference();

    expect(sut.map((k) => k.field)).toEqual(KNOBS.map((k) => k.field));
    expect(sut.find((k) => k.field === 'quantization')!.values).toBe('none | int8 | int8-per-channel');
    expect(sut.find((k) => k.field === 'se')!.values).toBe('true | false | paper | none | all');
    expect(sut.find((k) => k.field === 'kernels')!.values).toBe('integer 1–5');
    expect(sut.every((k) => k.ablatedBy.length > 0)).toBe(true);
  });

  it('gives defaults per family, with family-only knobs marked where they do not apply', () => {
    const sut = Object.fromEntries(knobReference().map((k) => [k.field, k.defaults]));

    expect(sut.lastStage).toMatchObject({ 'mobilenetv3-large-1.0': 'efficient', 'mobilenetv2-1.0': NOT_APPLICABLE });
    expect(sut.compound).toMatchObject({ 'efficientnet-b0': '0', 'mixnet-s': NOT_APPLICABLE });
    expect(sut.seGate).toMatchObject({ 'mobilenetv3-large-1.0': 'hardsigmoid', 'efficientnet-b0': 'sigmoid' });
    expect(sut.stem).toMatchObject({ 'mobilenetv3-large-1.0': '16', 'mobilenetv1-1.0-224': '32' });
  });

  it("gives one model's own defaults", () => {
    const sut = knobReference(['efficientnet-b3']).find((k) => k.field === 'resolution')!;

    expect(sut.defaults).toEqual({ 'efficientnet-b3': '300' });
  });

  it('names every knob in a variant name by the short name the reference shows', () => {
    const sut = variantName({ model: 'mobilenetv3-large-1.0', resolution: 160, activation: 'relu', lastStage: 'original' });

    expect(sut).toBe('mobilenetv3-large-1.0@160+last=original+act=relu');
    expect(
      knobReference()
        .filter((k) => ['resolution', 'lastStage', 'activation'].includes(k.field))
        .map((k) => k.inName),
    ).toEqual(['@N', '+last=…', '+act=…']);
  });
});
