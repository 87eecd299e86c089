import { describe, expect, it } from 'vitest';
import { ModelSpecError } from './model-spec.error.js';
import { parseVariantSpec, variantName } from './variant-spec.js';

function specError(input: unknown): ModelSpecError {
  try {
    parseVariantSpec(input);
  } catch (error) {
    if (error instanceof ModelSpecError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe(parseVariantSpec.name, () => {
  it('fills every default of a canonical name', () => {
    const sut = parseVariantSpec('mobilenetv3-large-1.0');

    expect(sut).toEqual({
      model: 'mobilenetv3-large-1.0',
      resolution: 224,
      width: 1,
      depth: 1,
      stem: 16,
      lastStage: 'efficient',
      activation: 'paper',
      hswishImpl: 'fused',
      se: 'paper',
      seWidth: 'expansion',
      seGate: 'hardsigmoid',
      channelSplit: 'equal',
      dilated: false,
      quantization: 'none',
      seed: 0,
    });
  });

  it('reads a resolution suffix and knob suffixes', () => {
    const sut = parseVariantSpec('mobilenetv3-large-1.0@160+act=hswish+hswish=decomposed');

    expect(sut).toMatchObject({ resolution: 160, activation: 'hswish', hswishImpl: 'decomposed' });
  });

  it('drops knobs that change nothing in the network', () => {
    const sut = parseVariantSpec({ model: 'mobilenetv3-large-1.0', activation: 'relu', hswishImpl: 'decomposed', se: 'none', seGate: 'sigmoid' });

    expect(sut).toMatchObject({ activation: 'relu', hswishImpl: 'fused', se: 'none', seGate: 'hardsigmoid' });
  });

  it('accepts an object and an alias', () => {
    expect(parseVariantSpec({ model: 'mobilenetv3-large', activation: 'hswish', seed: 7 })).toMatchObject({
      model: 'mobilenetv3-large-1.0',
      activation: 'hswish',
      seed: 7,
    });
  });

  it.each([
    [{ model: 'mobilenetv3-large-1.0', activation: 'tanh' }, 'activation', /expected one of paper, relu/],
    [{ model: 'mobilenetv3-large-1.0', activation: 7 }, 'activation', /expected one of/],
    [{ model: 'mobilenetv3-large-1.0', hswishImpl: 'fast' }, 'hswishImpl', /expected one of fused, decomposed, swish/],
    [{ model: 'mobilenetv3-large-1.0', resolution: 10 }, 'resolution', /integer from 32 to 1024/],
    [{ model: 'mobilenetv3-large-1.0', resolution: '160' }, 'resolution', /integer/],
    [{ model: 'mobilenetv3-large-1.0', colour: 'red' }, 'colour', /unknown knob; knobs: resolution/],
    [{ model: 'resnet-50' }, 'model', /unknown model 'resnet-50'/],
    [{ activation: 'relu' }, 'model', /expected a model name/],
    ['mobilenetv3-large-1.0@abc', 'resolution', /integer/],
    ['mobilenetv3-large-1.0+colour=red', 'colour', /unknown knob in variant name .*; knobs: resolution/],
    ['mobilenetv3-large-1.0+act=relu,3-x:hswish', 'activation', /3-x:hswish/],
  ])('rejects %j naming the field', (input, field, message) => {
    const sut = specError(input);

    expect(sut.field).toBe(field);
    expect(sut.message).toMatch(new RegExp(`^${field}: `));
    expect(sut.message).toMatch(message);
  });

  it('rejects a non-object', () => {
    expect(() => parseVariantSpec(42)).toThrow(ModelSpecError);
  });
});

describe(variantName.name, () => {
  it.each([
    ['mobilenetv3-large-1.0', 'mobilenetv3-large-1.0'],
    ['mobilenetv3-large', 'mobilenetv3-large-1.0'],
    ['mobilenetv3-large-1.0@224', 'mobilenetv3-large-1.0'],
    ['mobilenetv3-large-1.0@160', 'mobilenetv3-large-1.0@160'],
    ['mobilenetv3-large-1.0+activation=relu', 'mobilenetv3-large-1.0+act=relu'],
    ['mobilenetv3-large-1.0+act=paper+hswish=fused+seed=0', 'mobilenetv3-large-1.0'],
    ['mobilenetv3-large-1.0+hswish=decomposed+act=hswish', 'mobilenetv3-large-1.0+act=hswish+hswish=decomposed'],
    ['mobilenetv3-large-1.0+width=0.75', 'mobilenetv3-large-0.75'],
  ])('names %s as %s', (input, expected) => {
    expect(variantName(input)).toBe(expected);
  });

  it('round-trips through parseVariantSpec', () => {
    const spec = { model: 'mobilenetv3-large-1.0', resolution: 192, activation: '@112', hswishImpl: 'decomposed' as const, seed: 3 };

    const sut = variantName(spec);

    expect(parseVariantSpec(sut)).toEqual(parseVariantSpec(spec));
  });
});
