import { describe, expect, it } from 'vitest';
import { readStoredAttribution } from './stored-attribution.util.js';

const row = { key: 'stem', kernelMedianNs: 10, overheadMedianNs: 2, totalMedianNs: 12, share: 1, totalShare: 1, nodes: 1 };

describe(readStoredAttribution.name, () => {
  it('reads the tables and ratios a current agent stores', () => {
    const sut = readStoredAttribution({ source: 'lineage', layerSumWithOverheadToTimedMedian: 1.01, byLayer: [row], byBlock: [row], byOpType: [], extra: 'kept out' });

    expect(sut).toMatchObject({ source: 'lineage', layerSumWithOverheadToTimedMedian: 1.01, byLayer: [row], byBlock: [row], byOpType: [] });
    expect(sut).not.toHaveProperty('extra');
  });

  it('gives null for what an older agent did not store, and for parts that are not what they should be', () => {
    const sut = readStoredAttribution({ source: 'magic', layerSumToProfiledMedian: 0.9, layerSumToTimedMedian: 'x', byLayer: [{ ...row, totalMedianNs: null }] });

    expect(sut).toEqual({
      source: null,
      layerSumToProfiledMedian: 0.9,
      layerSumToProfileRunMedian: null,
      layerSumToTimedMedian: null,
      layerSumWithOverheadToProfiledMedian: null,
      layerSumWithOverheadToProfileRunMedian: null,
      layerSumWithOverheadToTimedMedian: null,
      profileRunMedianNs: null,
      byLayer: null,
      byBlock: null,
      byOpType: null,
    });
  });

  it('reads no report at all as all null', () => {
    for (const json of [null, undefined, 42, 'x', [row]]) expect(readStoredAttribution(json).byLayer).toBeNull();
  });
});
