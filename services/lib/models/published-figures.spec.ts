import { describe, expect, it } from 'vitest';
import { describeVariant, listModels } from './index.js';

/**
 * Where the reference implementations themselves do not reproduce the paper's rounded figure, the
 * measured deviation is pinned here instead of the 2% rule, with the reason.
 */
const EXCEPTIONS: Record<string, { madds?: number; params?: number; why: string }> = {
  'mobilenetv2-1.0': { params: 0.03, why: '3.49M with folded-BN biases (3.47M weights only, as TF-slim counts); the paper truncates to 3.4M' },
  'mobilenetv2-1.4': { params: 0.13, why: 'TF-slim and torchvision give 6.1M; the paper prints 6.9M' },
  'mobilenetv1-0.25-224': { params: 0.07, why: '0.47M; the paper rounds to 0.5M' },
  'mobilenetv1-0.5-224': { params: 0.025, why: '1.33M; the paper rounds to 1.3M' },
  'mobilenetv2-0.5': { params: 0.025, why: '1.96M; the paper rounds to 2.0M' },
  'efficientnet-b7': { madds: 0.025, why: '37.7B at 600; the paper rounds to 37B' },
  'mixnet-s': { madds: 0.07, why: 'the reference blocks give 239M (MixNet-L gives 555M, as timm counts); the paper prints 256M' },
  'mixnet-m': { madds: 0.06, why: 'the reference blocks give 339M; the paper prints 360M' },
  'efficientnet-b4': { madds: 0.05, why: 'the reference blocks give 4.39B at 380; the paper prints 4.2B' },
  'efficientnet-b5': { madds: 0.04, why: 'the reference blocks give 10.3B at 456; the paper prints 9.9B' },
};

const TOLERANCE = 0.02;
const published = listModels().filter((m) => m.published);

describe('published MAdds and params', () => {
  it('covers every family', () => {
    expect(new Set(published.map((m) => m.family))).toEqual(
      new Set(['mobilenetv1', 'mobilenetv2', 'mobilenetv3', 'mnasnet', 'mixnet', 'efficientnet']),
    );
  });

  it.each(published.map((m) => [m.name, m.published!.madds, m.published!.params] as const))(
    '%s: %d MAdds, %d params',
    (name, madds, params) => {
      const sut = describeVariant(name);
      const allowed = EXCEPTIONS[name] ?? {};

      expect(Math.abs(sut.madds / madds - 1)).toBeLessThan(allowed.madds ?? TOLERANCE);
      expect(Math.abs(sut.params / params - 1)).toBeLessThan(allowed.params ?? TOLERANCE);
    },
  );
});
