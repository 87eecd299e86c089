import { describe, expect, it } from 'vitest';
import { listFamilies, listModels } from './index.js';

const REQUIRED = [
  ...['1.0', '0.75', '0.5', '0.25'].flatMap((w) => [224, 192, 160, 128].map((r) => `mobilenetv1-${w}-${r}`)),
  ...['1.4', '1.0', '0.75', '0.5', '0.35'].map((w) => `mobilenetv2-${w}`),
  'mobilenetv3-large-1.0',
  'mobilenetv3-large-0.75',
  'mobilenetv3-small-1.0',
  'mobilenetv3-small-0.75',
  'mnasnet-a1',
  'mixnet-s',
  'mixnet-m',
  'mixnet-l',
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((b) => `efficientnet-b${b}`),
];

describe(listModels.name, () => {
  it('lists every published model once', () => {
    const sut = listModels().map((m) => m.name);

    expect([...sut].sort()).toEqual([...REQUIRED].sort());
  });

  it('never gives two models the same alias', () => {
    const aliases = listModels().flatMap((m) => m.aliases);

    expect(new Set(aliases).size).toBe(aliases.length);
  });
});

describe(listFamilies.name, () => {
  it('offers lastStage only on MobileNetV3 and compound only on EfficientNet', () => {
    const sut = new Map(listFamilies().map((f) => [f.family, f]));

    expect(sut.get('mobilenetv3')!.knobs).toContain('lastStage');
    expect(sut.get('efficientnet')!.knobs).toContain('compound');
    expect(sut.get('mobilenetv2')!.knobs).not.toContain('lastStage');
    expect(sut.get('mobilenetv3')!.activationPresets).toEqual(['paper', 'relu', 'relu6', 'hswish', 'swish', '@16', '@112']);
  });
});
