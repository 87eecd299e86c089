import { describe, expect, it } from 'vitest';
import { PUBLISHED_TOP1 } from './1795600000000-accuracies-and-uploads.js';
import { PUBLISHED_TOP1_SOURCES } from './1796200000000-published-accuracy-sources.js';

describe('PUBLISHED_TOP1_SOURCES', () => {
  it('cites every preloaded model, and only those', () => {
    expect(Object.keys(PUBLISHED_TOP1_SOURCES).sort()).toEqual(PUBLISHED_TOP1.map((p) => p.model).sort());
  });

  it.each(Object.entries(PUBLISHED_TOP1_SOURCES))('cites %s by its paper and table, not a file outside the repository', (_model, source) => {
    expect(source).toMatch(/^(.+ \d{4}, ".+" \(.+\), (Tables? \d|the ImageNet results table)|tensorflow\/models, .+README\.md, .+table \(.+ \d{4}\)$)/);
    expect(source).not.toContain('architectures.md');
  });
});
