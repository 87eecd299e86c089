import { describe, expect, it } from 'vitest';
import { listModels } from '../../models/index.js';
import { PUBLISHED_TOP1 } from './1795600000000-accuracies-and-uploads.js';

describe('PUBLISHED_TOP1', () => {
  it('preloads exactly the published top-1 the model catalogue carries', () => {
    const catalogue = listModels()
      .filter((m) => m.published?.top1 !== undefined)
      .map((m) => [m.name, m.published!.top1]);

    expect(PUBLISHED_TOP1.map((p) => [p.model, p.top1])).toEqual(catalogue);
  });

  it('cites a source for every figure', () => {
    for (const p of PUBLISHED_TOP1) expect(p.source).toMatch(/\d{4}, .+architectures\.md/);
  });
});
