import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures/read-fixture.js';
import { parseRknnPerfDetail, rknnNodeName, rknnNodeTimings, rknnRunDurationsNs } from './rknn-profile.js';
import { RunnerErrorCode } from './runner.error.js';

const runtime = readFixture('rknn/perf-detail-runtime.txt');
const toolkit = readFixture('rknn/eval-perf-toolkit2.txt');

describe(parseRknnPerfDetail.name, () => {
  it('reads every layer of the runtime table and its per-frame total', () => {
    const [sut, ...more] = parseRknnPerfDetail(runtime);
    expect(more).toHaveLength(0);
    expect(sut?.rows.map((r) => r.timeUs)).toEqual([6, 431, 287, 219, 406, 164, 48, 21]);
    expect(sut?.totalUs).toBe(1582);
    expect(sut?.rows[1]).toEqual({
      id: 2,
      opType: 'ConvClip',
      dataType: 'UINT8',
      target: 'NPU',
      inputShape: '(1,3,224,224),(32,3,3,3),(32)',
      outputShape: '(1,32,112,112)',
      timeUs: 431,
      fullName: 'Conv:/features/features.0/features.0.0/Conv',
    });
  });

  it('stays aligned when a shape overflows its column or MacUsage is blank', () => {
    const rows = parseRknnPerfDetail(runtime)[0]!.rows;
    expect(rows[5]).toMatchObject({ outputShape: '(1,24,56,56)', timeUs: 164, fullName: 'Conv:/features/features.3/conv/conv.2/Conv' });
    expect(rows[7]).toMatchObject({ target: 'CPU', timeUs: 21, fullName: 'OutputOperator:output' });
  });

  it('reads the toolkit2 eval_perf table: separate cycle columns, a work-load column with spaces, its own total line', () => {
    const [sut] = parseRknnPerfDetail(toolkit);
    expect(sut?.rows.map((r) => r.timeUs)).toEqual([9, 434, 290, 222, 409, 167, 51, 24]);
    expect(sut?.rows.map((r) => r.fullName)).toContain('Softmax:/classifier/Softmax');
    expect(sut?.totalUs).toBe(1646);
  });

  it('treats each printed table as one profiled inference', () => {
    expect(parseRknnPerfDetail(`${runtime}\n${runtime}`)).toHaveLength(2);
  });

  it('refuses text without a layer table', () => {
    expect(() => parseRknnPerfDetail('rknn_init fail! ret=-6\n')).toThrow(expect.objectContaining({ code: RunnerErrorCode.OutputUnparsable }));
  });

  it('refuses a time that is not a number', () => {
    const broken = runtime.replace('94150/10584/94150        431 ', '94150/10584/94150        n/a ');
    expect(() => parseRknnPerfDetail(broken)).toThrow(/Time\(us\) "n\/a"/);
  });

  it('refuses a header with no rows under it', () => {
    const headerOnly = runtime.split('\n').slice(0, 5).join('\n');
    expect(() => parseRknnPerfDetail(headerOnly)).toThrow(/no rows/);
  });
});

describe(rknnNodeTimings.name, () => {
  it('maps layers to node timings named after the source graph’s node, on the unit they ran', () => {
    const sut = rknnNodeTimings(parseRknnPerfDetail(`${runtime}\n${runtime}`));
    expect(sut).toHaveLength(16);
    expect(sut[1]).toEqual({ iteration: 0, nodeName: '/features/features.0/features.0.0/Conv', opType: 'ConvClip', provider: 'NPU', durationNs: 431_000 });
    expect(sut[15]).toMatchObject({ iteration: 1, nodeName: 'output', provider: 'CPU' });
  });
});

describe(rknnRunDurationsNs.name, () => {
  it('uses the printed total, else the sum of the layers', () => {
    const [printed] = parseRknnPerfDetail(toolkit);
    expect(rknnRunDurationsNs([printed!, { rows: printed!.rows }])).toEqual([1_646_000, 1_606_000]);
  });
});

describe(rknnNodeName.name, () => {
  it('keeps a name that has no op-type prefix', () => {
    expect(rknnNodeName('conv1')).toBe('conv1');
  });
});
