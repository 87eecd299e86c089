import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from './shell-quote.js';

describe(shellQuote.name, () => {
  it('leaves plain paths and flags readable', () => {
    expect(shellQuote('/data/local/tmp/latfleet/models/ab12.onnx')).toBe('/data/local/tmp/latfleet/models/ab12.onnx');
    expect(shellQuote('--graph=/data/x.tflite')).toBe('--graph=/data/x.tflite');
  });

  it('quotes words a shell would split or expand, including the empty word', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
  });
});

describe(shellJoin.name, () => {
  it('round-trips awkward words through sh unchanged', () => {
    const words = ['it’s', "don't", 'a  b', '$(reboot)', '`id`', '*', '"q"', ''];
    const echoed = execFileSync('sh', ['-c', `for w in ${shellJoin(words)}; do printf '%s\\n' "$w"; done`], { encoding: 'utf8' });
    expect(echoed.split('\n').slice(0, -1)).toEqual(words);
  });
});
