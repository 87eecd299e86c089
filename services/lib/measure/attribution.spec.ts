import { describe, expect, it } from 'vitest';
import { LayerAttributor } from './attribution.js';

describe(LayerAttributor.name, () => {
  const sut = new LayerAttributor(['stem', 'blocks.1', 'blocks.1.expand', 'blocks.1.se', 'blocks.10.expand']);

  it('picks the longest layer whose name prefixes the node', () => {
    expect(sut.layerOf('blocks.1.expand.conv')).toBe('blocks.1.expand');
    expect(sut.layerOf('blocks.1.se.gate')).toBe('blocks.1.se');
    expect(sut.layerOf('blocks.1.add')).toBe('blocks.1');
  });

  it('does not confuse blocks.1 with blocks.10', () => {
    expect(sut.layerOf('blocks.10.expand.conv')).toBe('blocks.10.expand');
  });

  it('sees through the NCHWc rename', () => {
    expect(sut.layerOf('blocks.1.expand.conv_nchwc')).toBe('blocks.1.expand');
  });

  it('sees through several runtime suffixes', () => {
    expect(sut.layerOf('blocks.1.expand.act_nchwc_token_12')).toBe('blocks.1.expand');
    expect(sut.layerOf('stem_token_3_token_4')).toBe('stem');
  });

  it('leaves nodes the runtime inserted unattributed', () => {
    expect(sut.layerOf('ReorderOutput_42')).toBe('');
    expect(sut.layerOf('_token_332')).toBe('');
  });
});
