import { describe, expect, it } from 'vitest';
import { jobRunnable } from '../lib/store/index.js';
import { pairDevicesWithJobs, type LeasingDevice } from './job-pairing.js';

const device = (id: string, o: Partial<LeasingDevice> = {}): LeasingDevice => ({ id, deviceClass: 'cpu', cpuModel: 'x', tags: {}, ...o });
const job = (id: string, o: { roundKey?: string; format?: string; selector?: { class?: string; tags?: Record<string, string> }; target?: string } = {}) => ({
  id,
  targetDeviceId: o.target ?? null,
  selector: o.selector ?? null,
  format: o.format,
  roundKey: o.roundKey,
});

describe(pairDevicesWithJobs.name, () => {
  it('gives each device the first job it matches, and a whole round to one device only', () => {
    const jobs = [job('a1', { roundKey: 'A' }), job('a2', { roundKey: 'A' }), job('b1', { roundKey: 'B' })];
    expect(pairDevicesWithJobs([device('d1'), device('d2')], jobs)).toEqual([
      { jobId: 'a1', deviceId: 'd1' },
      { jobId: 'b1', deviceId: 'd2' },
    ]);
  });

  it('leaves a job to the device that runs its format, its target and its selector', () => {
    const litert = device('lite', { formats: ['tflite'] });
    const phone = device('phone', { deviceClass: 'android', tags: { lab: 'b' }, formats: ['onnx', 'tflite'] });
    expect(jobRunnable(job('t', { format: 'tflite' }), device('cpu'))).toBe(false); // a device that announced nothing runs onnx
    expect(jobRunnable(job('t', { format: 'tflite' }), litert)).toBe(true);
    expect(jobRunnable(job('o'), litert)).toBe(false);
    expect(jobRunnable(job('s', { selector: { class: 'android', tags: { lab: 'b' } } }), phone)).toBe(true);
    expect(jobRunnable(job('s', { selector: { class: 'android', tags: { lab: 'a' } } }), phone)).toBe(false);
    expect(jobRunnable(job('x', { target: 'lite' }), phone)).toBe(false);
    expect(pairDevicesWithJobs([device('cpu'), litert], [job('t', { format: 'tflite' }), job('o')])).toEqual([
      { jobId: 'o', deviceId: 'cpu' },
      { jobId: 't', deviceId: 'lite' },
    ]);
  });
});
