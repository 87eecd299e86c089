import { describe, expect, it } from 'vitest';
import { builtinStudy, listBuiltinStudies } from './builtin-studies.js';
import { ModelSpecError } from './model-spec.error.js';
import { parseStudySpec } from './study-spec.js';

function studyError(input: unknown): ModelSpecError {
  try {
    parseStudySpec(input);
  } catch (error) {
    if (error instanceof ModelSpecError) return error;
    throw error;
  }
  throw new Error('expected the study to be rejected');
}

describe(parseStudySpec.name, () => {
  it('expands one axis into labelled variants with the named baseline', () => {
    const sut = parseStudySpec({ name: 'acts', base: 'mobilenetv3-large-1.0', axes: { activation: ['relu', 'paper'] }, baseline: 'paper' });

    expect(sut.baseline).toBe('paper');
    expect(sut.variants.map((v) => [v.label, v.name])).toEqual([
      ['relu', 'mobilenetv3-large-1.0+act=relu'],
      ['paper', 'mobilenetv3-large-1.0'],
    ]);
  });

  it('reads a resolution and knobs from a base given as a variant name', () => {
    const sut = parseStudySpec({ name: 'small96', base: 'mobilenetv3-small-0.75@96+act=relu', axes: { seed: [1, 2] } });

    expect(sut.variants.map((v) => v.spec?.resolution)).toEqual([96, 96]);
    expect(sut.variants.map((v) => v.spec?.activation)).toEqual(['relu', 'relu']);
  });

  it('takes a device selection and a priority, and names a bad device field', () => {
    const sut = parseStudySpec({ name: 'phones', base: 'mobilenetv3-small-1.0', devices: { class: 'android', tags: { lab: 'b' }, each: true }, priority: 3 });

    expect(sut).toMatchObject({ devices: { class: 'android', tags: { lab: 'b' }, each: true }, priority: 3 });
    expect(parseStudySpec({ name: 'any', base: 'mobilenetv3-small-1.0' }).priority).toBe(0);
    expect(studyError({ name: 'x', base: 'mobilenetv3-small-1.0', devices: { class: 'toaster' } }).field).toBe('devices.class');
    expect(studyError({ name: 'x', base: 'mobilenetv3-small-1.0', devices: { ids: ['nope'] } }).field).toBe('devices.ids[0]');
    expect(studyError({ name: 'x', base: 'mobilenetv3-small-1.0', devices: { soc: 'x' } }).field).toBe('devices.soc');
    expect(studyError({ name: 'x', base: 'mobilenetv3-small-1.0', priority: 1.5 }).field).toBe('priority');
  });

  it('takes the cartesian product of several axes and keeps identical networks once', () => {
    const sut = parseStudySpec({
      name: 'grid',
      base: { model: 'mobilenetv3-small-1.0', resolution: 160 },
      axes: { activation: ['relu', 'hswish'], hswishImpl: ['fused', 'decomposed'] },
      baseline: { activation: 'hswish', hswishImpl: 'fused' },
    });

    expect(sut.variants.map((v) => v.label)).toEqual(['activation=relu,hswishImpl=fused', 'activation=hswish,hswishImpl=fused', 'activation=hswish,hswishImpl=decomposed']);
    expect(sut.baseline).toBe('activation=hswish,hswishImpl=fused');
    expect(sut.variants.every((v) => v.spec?.resolution === 160)).toBe(true);
  });

  it('reads YAML text with an explicit variant list and a protocol', () => {
    const sut = parseStudySpec(
      [
        'name: stems',
        'base: mobilenetv3-large-1.0',
        'variants:',
        '  - label: stem16',
        '  - label: stem32',
        '    stem: 32',
        '  - mobilenetv3-small-1.0',
        'baseline: stem16',
        'protocol: { warmupRuns: 5, timedRuns: 50 }',
        'devices: { class: cpu }',
      ].join('\n'),
    );

    expect(sut.variants.map((v) => v.name)).toEqual(['mobilenetv3-large-1.0', 'mobilenetv3-large-1.0+stem=32', 'mobilenetv3-small-1.0']);
    expect(sut.protocol).toMatchObject({ warmupRuns: 5, timedRuns: 50 });
    expect(sut.devices).toEqual({ class: 'cpu' });
  });

  it('applies the base knobs to listed variant names, the name overriding them', () => {
    const sut = parseStudySpec({ name: 's', base: { model: 'mobilenetv3-large-1.0', resolution: 160, seed: 3 }, variants: ['mixnet-s', 'mixnet-m@192'] });

    expect(sut.variants.map((v) => v.name)).toEqual(['mixnet-s@160+seed=3', 'mixnet-m@192+seed=3']);
  });

  it.each([
    [{ name: 's', base: 'mobilenetv3-large-1.0', axes: { activation: ['relu', 'paper', 'tanh'] } }, 'axes.activation[2]', /expected one of/],
    [{ name: 's', axes: { quantization: ['none', 'int3'], model: ['bad', 'mixnet-s'] } }, 'axes.quantization[1]', /expected one of/],
    [{ name: 's', axes: { quantization: ['none'], model: ['mixnet-s', 'bad'] } }, 'axes.model[1]', /unknown model 'bad'/],
    [{ name: 's', base: 'mobilenetv3-large-1.0', axes: { colour: ['red'] } }, 'axes.colour', /unknown knob; knobs: resolution/],
    [{ name: 's', base: 'mobilenetv3-large-1.0', axes: { activation: [] } }, 'axes.activation', /at least one/],
    [{ name: 's', base: 'nope', axes: { activation: ['relu'] } }, 'base.model', /unknown model/],
    [{ name: 's', base: 'mobilenetv3-large-1.0', variants: [{ label: 'a' }, { label: 'b', resolution: 7 }] }, 'variants[1].resolution', /integer/],
    [{ name: 's', base: 'mobilenetv3-large-1.0', variants: [{ label: 'a' }, { label: 'a', stem: 32 }] }, 'variants[1].label', /duplicate/],
    [{ name: 's', base: 'mobilenetv3-large-1.0', axes: { activation: ['relu', 'paper'] }, baseline: 'hswish' }, 'baseline', /matches no variant/],
    [{ name: 's', base: 'mobilenetv3-large-1.0', axes: { activation: ['relu'], stem: [16, 32] }, baseline: { activation: 'relu' } }, 'baseline', /matches 2/],
    [{ name: 's', base: 'mobilenetv3-large-1.0', protocol: { timedRuns: 0 } }, 'protocol.timedRuns', /./],
    [{ name: 's', base: 'mobilenetv3-large-1.0', colour: 1 }, 'colour', /unknown field/],
    [{ name: 'bad name!', base: 'mobilenetv3-large-1.0' }, 'name', /letters/],
    [{ name: 's' }, 'variants', /expected axes/],
  ])('rejects %j naming %s', (input, field, message) => {
    const sut = studyError(input);

    expect(sut.field).toBe(field);
    expect(sut.message).toMatch(message);
  });

  it('refuses six axes of twenty values from their sizes, naming the limit, without building the product', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    const axes = Object.fromEntries(['seed', 'stem', 'resolution', 'width', 'depth', 'head'].map((k) => [k, twenty]));
    const started = performance.now();

    const sut = studyError({ name: 's', base: 'mobilenetv3-large-1.0', axes });

    expect(performance.now() - started).toBeLessThan(500);
    expect(sut.field).toBe('axes');
    expect(sut.message).toMatch(/64000000 combinations; at most 256/);
  });

  it('counts listed variants with the axis combinations against the limit', () => {
    const sut = studyError({
      name: 's',
      base: 'mobilenetv3-large-1.0',
      axes: { seed: Array.from({ length: 200 }, (_, i) => i + 1) },
      variants: Array.from({ length: 57 }, () => 'mixnet-s'),
    });

    expect(sut.field).toBe('variants');
    expect(sut.message).toMatch(/257 variants; at most 256/);
  });

  it('rejects text that is neither JSON nor YAML', () => {
    expect(() => parseStudySpec('name: [unclosed')).toThrow(ModelSpecError);
  });
});

describe(builtinStudy.name, () => {
  it.each(listBuiltinStudies().map((s) => s.name))('%s parses with exactly one baseline', (name) => {
    const sut = parseStudySpec(builtinStudy(name));

    expect(sut.name).toBe(name);
    expect(sut.variants.filter((v) => v.label === sut.baseline)).toHaveLength(1);
    // one network in one format once (a network may be measured in several formats)
    expect(new Set(sut.variants.map((v) => `${v.name} ${v.format}`)).size).toBe(sut.variants.length);
  });

  it('demo compares relu, paper and hswish against paper', () => {
    const sut = parseStudySpec(builtinStudy('demo'));

    expect(sut.variants.map((v) => v.label)).toEqual(['relu', 'paper', 'hswish']);
    expect(sut.baseline).toBe('paper');
  });

  it('rejects an unknown name', () => {
    expect(() => builtinStudy('nope')).toThrow(/unknown built-in study 'nope'/);
  });

  describe('formats and imported models', () => {
    const imported = { sha256: 'ab'.repeat(32), name: 'my-net', format: 'onnx' as const };
    const lookup = (ref: string) => (ref === imported.name || ref === imported.sha256 ? imported : undefined);

    it('takes format as an axis: the same network once per format, each variant with its format', () => {
      const sut = parseStudySpec({ name: 'formats', base: 'mobilenetv3-large-1.0@96', axes: { format: ['onnx', 'tflite'] }, baseline: 'onnx' });

      expect(sut.variants.map((v) => [v.label, v.name, v.format])).toEqual([
        ['onnx', 'mobilenetv3-large-1.0@96', 'onnx'],
        ['tflite', 'mobilenetv3-large-1.0@96', 'tflite'],
      ]);
    });

    it('crosses format with another axis, labels say both, and an unknown format names the axis entry', () => {
      const sut = parseStudySpec({ name: 'grid', base: 'mobilenetv3-small-0.75@96', axes: { activation: ['relu', 'paper'], format: ['onnx', 'tflite'] } });

      expect(sut.variants.map((v) => v.label)).toEqual([
        'activation=relu,format=onnx',
        'activation=relu,format=tflite',
        'activation=paper,format=onnx',
        'activation=paper,format=tflite',
      ]);
      expect(studyError({ name: 'x', base: 'mobilenetv3-small-0.75', axes: { format: ['onnx', 'RK NN'] } }).message).toBe(
        'axes.format[1]: expected onnx, tflite or the format of an artifact attached to the variant (letters, digits, ._-)',
      );
      // a vendor format is a name here: the query service finds the artifact attached to the variant, or refuses the study
      const vendor = parseStudySpec({ name: 'npu', base: 'mobilenetv3-small-0.75', axes: { format: ['onnx', 'rknn'] } });
      expect(vendor.variants.map((v) => [v.label, v.format])).toEqual([
        ['onnx', 'onnx'],
        ['rknn', 'rknn'],
      ]);
    });

    it('gives a listed variant its format and a label that tells the formats apart', () => {
      const sut = parseStudySpec({ name: 'list', variants: [{ model: 'mobilenetv2-1.0' }, { model: 'mobilenetv2-1.0', format: 'tflite' }] });

      expect(sut.variants.map((v) => [v.label, v.format])).toEqual([
        ['mobilenetv2-1.0', 'onnx'],
        ['mobilenetv2-1.0:tflite', 'tflite'],
      ]);
    });

    it('names an imported model by name or sha256, with its own format and no spec', () => {
      const byName = parseStudySpec({ name: 'byom', variants: ['my-net', 'mobilenetv2-1.0'] }, lookup);
      const byHash = parseStudySpec({ name: 'byom', variants: [{ label: 'by-hash', model: imported.sha256 }] }, lookup);

      expect(byName.variants.map((v) => [v.label, v.name, v.format, v.spec?.model ?? null, v.imported?.sha256 ?? null])).toEqual([
        ['my-net', 'my-net', 'onnx', null, imported.sha256],
        ['mobilenetv2-1.0', 'mobilenetv2-1.0', 'onnx', 'mobilenetv2-1.0', null],
      ]);
      expect(byHash.variants).toEqual([{ label: 'by-hash', name: 'my-net', format: 'onnx', spec: null, imported }]);
    });

    it('refuses knobs on an imported model, another format for it, and a model name nobody imported', () => {
      expect(studyError({ name: 'x', variants: [{ model: 'my-net', width: 0.5 }] }).field).toBe('variants[0].model');
      expect(() => parseStudySpec({ name: 'x', variants: [{ model: 'my-net', width: 0.5 }] }, lookup)).toThrow("variants[0].width: imported model 'my-net' takes no variant knobs");
      expect(() => parseStudySpec({ name: 'x', variants: [{ model: 'my-net', format: 'tflite' }] }, lookup)).toThrow(
        "variants[0].format: imported model 'my-net' is onnx; it cannot be measured as tflite",
      );
    });
  });
});
