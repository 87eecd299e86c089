import { describe, expect, it } from 'vitest';
import { paretoFront } from './pareto-front.util.js';

const point = (name: string, latency: number, top1: number) => ({ name, latency, top1 });

describe(paretoFront.name, () => {
  const points = [point('fast', 2, 60), point('balanced', 4, 70), point('slow-worse', 5, 65), point('best', 8, 75), point('slow-same', 9, 75)];

  it('keeps the points nothing is both faster and more accurate than', () => {
    const sut = paretoFront(points, [(p) => p.latency, (p) => -p.top1]);
    expect(sut.map((p) => p.name)).toEqual(['fast', 'balanced', 'best']);
  });

  it('keeps exact ties, which dominate nothing of each other', () => {
    const sut = paretoFront([point('a', 3, 70), point('b', 3, 70), point('c', 4, 69)], [(p) => p.latency, (p) => -p.top1]);
    expect(sut.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('minimises every objective it is given', () => {
    const sut = paretoFront(points, [(p) => p.latency, (p) => p.top1]);
    expect(sut.map((p) => p.name)).toEqual(['fast']);
  });
});
