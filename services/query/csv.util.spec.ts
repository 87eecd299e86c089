import { describe, expect, it } from 'vitest';
import { recordsToCsv, toCsv } from './csv.util.js';

describe(toCsv.name, () => {
  it('quotes cells with commas, quotes or line breaks, and leaves null cells empty', () => {
    const sut = toCsv(
      ['variant', 'note', 'ms'],
      [
        ['h-swish, fused', 'say "hi"', 3.5],
        ['relu', null, undefined],
      ],
    );
    expect(sut).toBe('variant,note,ms\r\n"h-swish, fused","say ""hi""",3.5\r\nrelu,,\r\n');
  });
});

describe(recordsToCsv.name, () => {
  it('names the columns in snake_case and joins lists with semicolons, as every latfleet CSV does', () => {
    const sut = recordsToCsv([
      { layer: 'stem', medianMs: 0.3, totalShare: 0.37, runtimeOps: ['Conv', 'Relu'] },
      { layer: '(session)', medianMs: 0, totalShare: null, runtimeOps: [] },
    ]);

    expect(sut).toBe('layer,median_ms,total_share,runtime_ops\r\nstem,0.3,0.37,Conv;Relu\r\n(session),0,,\r\n');
  });
});
