import type { Comparison } from '../../services/query/contract.js';

/** The fields of a comparison (or ablation table) above its rows: a completed study `demo` with baseline `paper`, paired rounds at 95%. */
export function comparisonHeader(over: Partial<Pick<Comparison, 'studyId' | 'study' | 'status' | 'baseline' | 'includeFlagged'>> = {}) {
  return {
    studyId: 's',
    study: 'demo',
    status: 'completed' as const,
    baseline: 'paper',
    confidenceLevel: 0.95,
    noiseTest: 'paired rounds',
    includeFlagged: false,
    ...over,
  };
}
