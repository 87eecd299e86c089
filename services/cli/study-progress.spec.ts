import { describe, expect, it } from 'vitest';
import type { StudyDetail } from '../query/contract.js';
import { describeRounds, describeRunning } from './study-progress.js';

const job = (over: Partial<StudyDetail['jobList'][number]>): StudyDetail['jobList'][number] => ({
  id: 'j',
  variantLabel: 'v',
  round: 0,
  roundPosition: 0,
  state: 'queued',
  attempt: 0,
  phase: null,
  progress: 0,
  statusMessage: null,
  deviceId: null,
  error: null,
  ...over,
});

describe(describeRunning.name, () => {
  it('names the round being measured, its variants, the phase and the agent’s last note', () => {
    const jobs = [
      job({ variantLabel: 'relu', round: 1, state: 'leased', phase: 'timed', progress: 0.4, statusMessage: 'retry 1/2: temperature-rise' }),
      job({ variantLabel: 'paper', round: 1, state: 'leased', phase: 'timed', progress: 0.4 }),
      job({ variantLabel: 'relu', round: 2 }),
    ];
    expect(describeRunning(jobs)).toBe('round 2: relu, paper timed 40% — retry 1/2: temperature-rise');
  });
});

describe(describeRounds.name, () => {
  it('says per device group how many rounds ran and what ended them', () => {
    const rounds = { '*': { rounds: 4, stopReason: 'target' as const, worstHalfWidthPct: 0.6, detail: 'every comparison within ±0.60% (target ±1.00%) after 4 rounds', at: '' } };
    expect(describeRounds(rounds)).toEqual(['rounds on any device: every comparison within ±0.60% (target ±1.00%) after 4 rounds']);
  });
});
