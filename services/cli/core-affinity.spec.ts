import { describe, expect, it } from 'vitest';
import { parseCpuList, servicesCores } from './core-affinity.js';

describe(servicesCores.name, () => {
  it('gives the fleet’s services every allowed core but the agent’s', () => {
    expect(servicesCores(1, '0,1')).toBe('0');
    expect(servicesCores(3, '0-3')).toBe('0,1,2');
    expect(servicesCores(0, '0-1,4')).toBe('1,4');
  });

  it('leaves them where they are when the agent’s core is the only one allowed', () => {
    expect(servicesCores(0, '0')).toBeNull();
  });

  it('keeps to the cores this process was given, even when the agent’s core is not among them', () => {
    expect(servicesCores(7, '2-3')).toBe('2,3');
  });
});

describe(parseCpuList.name, () => {
  it('reads taskset’s list format', () => {
    expect(parseCpuList('0-2,4,6-7')).toEqual([0, 1, 2, 4, 6, 7]);
  });

  it('refuses what is not a list', () => {
    expect(() => parseCpuList('0-x')).toThrow(/not a CPU list/);
  });
});
