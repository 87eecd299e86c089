import { describe, expect, it } from 'vitest';
import type { AblationTable } from './ablation-table.service.js';
import type { RunSummary } from './run.repository.js';
import { renderStudiesIndex, renderStudyPage, type StudyPageView } from './study-page.html.js';
import type { StudyDetail, StudySummary } from './study.repository.js';
import { comparisonHeader } from '../../test/support/comparison-header.factory.js';

const ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const EVIL = '<script>alert(1)</script>';
const summary: StudySummary = {
  id: ID,
  name: EVIL,
  status: 'completed',
  baselineLabel: 'paper',
  createdAt: '2026-12-05T03:00:00.000Z',
  finishedAt: null,
  jobs: { queued: 0, leased: 0, completed: 2, failed: 1, cancelled: 0 },
  progress: 1,
};
const run = (id: string, flagged: boolean): RunSummary => ({
  id,
  studyId: ID,
  study: EVIL,
  variant: `v${EVIL}`,
  model: 'm',
  deviceId: 'd',
  device: 'vm',
  medianMs: 4,
  p90Ms: 4.2,
  minMs: 3.9,
  timedRuns: 100,
  profiledMedianMs: 4.1,
  runtimeVersion: '1.30.0',
  agentVersion: '0.1.0',
  round: 0,
  flagged,
  createdAt: summary.createdAt,
});
const view: StudyPageView = {
  study: {
    ...summary,
    spec: {},
    variants: [],
    rounds: { '*': { rounds: 3, stopReason: null, worstHalfWidthPct: null, detail: '3 rounds so far', at: summary.createdAt } },
    jobList: [
      {
        id: 'j',
        variantLabel: 'relu',
        round: 1,
        roundPosition: 0,
        state: 'failed',
        attempt: 3,
        phase: null,
        progress: 0,
        statusMessage: null,
        deviceId: null,
        error: `crashed ${EVIL}`,
      },
    ],
  } as unknown as StudyDetail,
  table: {
    ...comparisonHeader({ studyId: ID, study: EVIL }),
    devices: [],
    rows: [],
  } as unknown as AblationTable,
  figures: [
    { name: 'latency', caption: 'latency', href: `/api/v1/studies/${ID}/figures/latency.svg`, svg: '<svg class="marks"></svg>', unavailable: null },
    { name: 'blocks', caption: 'blocks', href: `/api/v1/studies/${ID}/figures/blocks.svg?run=x`, svg: null, unavailable: `run: ${EVIL}` },
  ],
  runs: { items: [run('11111111-0000-0000-0000-000000000000', false), run('22222222-0000-0000-0000-000000000000', true)], limit: 500, offset: 0, total: 2 },
};

describe(renderStudyPage.name, () => {
  const sut = renderStudyPage(view);

  it('writes every name, label and message as text, never as markup', () => {
    expect(sut).not.toContain('<script>');
    expect(sut).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
  });

  it('inlines the drawn figures, says why the others are not drawn, and links each to its SVG and its spec', () => {
    expect(sut).toContain('<figure data-figure="latency"><svg class="marks"></svg>');
    expect(sut).toContain('not drawn: run: &lt;script&gt;');
    expect(sut).toContain(`href="/api/v1/studies/${ID}/figures/blocks.vl.json?run=x"`);
  });

  it('lists what ended the rounds, the flagged runs and the failed jobs', () => {
    expect(sut).toContain('<li>any device: 3 rounds so far</li>');
    expect(sut).toContain('run <a href="/api/v1/runs/22222222-0000-0000-0000-000000000000">22222222</a>');
    expect(sut).not.toContain('run <a href="/api/v1/runs/11111111-0000-0000-0000-000000000000">11111111</a> (');
    expect(sut).toContain('job of relu (round 1, attempt 3): crashed &lt;script&gt;');
  });
});

describe(renderStudiesIndex.name, () => {
  it('links each study to its page and pages through older ones', () => {
    const sut = renderStudiesIndex({ items: [summary], limit: 1, offset: 0, total: 3 });
    expect(sut).toContain(`<a href="/studies/${ID}">&lt;script&gt;`);
    expect(sut).toContain('1–1 of 3');
    expect(sut).toContain('href="/studies?offset=1&amp;limit=1"');
  });
});
