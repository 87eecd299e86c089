import { describe, expect, it } from 'vitest';
import { ActivationSpecError, parseActivationSpec, resolveActivation } from './activation-spec.js';

describe(resolveActivation.name, () => {
  const block = (index: number, channels: number) => ({ part: 'block' as const, index, channels });

  it('keeps the table activation for paper', () => {
    expect(resolveActivation(parseActivationSpec('paper'), block(0, 16), 'relu')).toBe('relu');
  });

  it('uses h-swish from N channels for @N', () => {
    const sut = parseActivationSpec('@112');

    expect(resolveActivation(sut, block(7, 80), 'hswish')).toBe('relu');
    expect(resolveActivation(sut, block(11, 112), 'relu')).toBe('hswish');
  });

  it('applies block ranges after the base', () => {
    const sut = parseActivationSpec('paper,0-2:swish,12-:relu6,stem:relu');

    expect(resolveActivation(sut, block(1, 16), 'relu')).toBe('swish');
    expect(resolveActivation(sut, block(5, 40), 'relu')).toBe('relu');
    expect(resolveActivation(sut, block(14, 160), 'hswish')).toBe('relu6');
    expect(resolveActivation(sut, { part: 'stem', index: 0, channels: 16 }, 'hswish')).toBe('relu');
    expect(resolveActivation(sut, { part: 'head', index: 0, channels: 960 }, 'hswish')).toBe('hswish');
  });

  it.each(['gelu', '', 'relu,5-3:relu', 'relu,abc:relu', 'relu,2:tanh'])('rejects %j', (text) => {
    expect(() => parseActivationSpec(text)).toThrow(ActivationSpecError);
  });
});
