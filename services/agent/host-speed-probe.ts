import ort from 'onnxruntime-node';
import pkg from 'onnx-proto';
import { systemClock, type LoopClock } from '../lib/measure/index.js';

const { onnx } = pkg;

/** Reference workload: one MobileNet inverted-residual block at 112×112, 16 → 64 → 16 channels. */
const CHANNELS = 16;
const EXPANDED = 64;
const SIZE = 112;
/**
 * Timed runs per probe (after one untimed); the fastest is the probe's time. The fastest of a few
 * short runs moves with the host's speed but hardly with a stray interrupt: with the median of 5, probes
 * on a quiet host spread 5–20% and flagged steady runs (test/bench/RESULTS.md, 10:04 run).
 */
const PROBE_RUNS = 7;

/**
 * The fixed model the host speed probe runs: 1×1 expand, ReLU, 3×3 depthwise, ReLU, 1×1 project.
 * Its activations (3.2 MB expanded) outgrow the L2 cache as the measured models' do, and it runs
 * the same ONNX Runtime kernels, so it feels what slows them: frequency, and caches and memory
 * bandwidth shared with a neighbour. A plain JS integer loop stayed within a few percent while the
 * measured model ran 30–50% slower. Deterministic: fixed weights and input, so every probe an agent
 * takes does the same work.
 */
export function hostProbeModel(): Uint8Array {
  const weights = (name: string, dims: number[]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const fanIn = n / dims[0]!;
    const data = Float32Array.from({ length: n }, (_, i) => (((i * 7919) % 251) / 251 - 0.5) / Math.sqrt(fanIn));
    return { name, dataType: onnx.TensorProto.DataType.FLOAT, dims, rawData: new Uint8Array(data.buffer) };
  };
  const ints = (name: string, values: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const tensor = (name: string) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [1, CHANNELS, SIZE, SIZE].map((d) => ({ dimValue: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'latfleet-host-probe',
      node: [
        { name: 'expand', opType: 'Conv', input: ['x', 'w_expand'], output: ['e'], attribute: [ints('kernel_shape', [1, 1])] },
        { name: 'expand.act', opType: 'Relu', input: ['e'], output: ['ea'] },
        {
          name: 'dw',
          opType: 'Conv',
          input: ['ea', 'w_dw'],
          output: ['d'],
          attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), { name: 'group', type: onnx.AttributeProto.AttributeType.INT, i: EXPANDED }],
        },
        { name: 'dw.act', opType: 'Relu', input: ['d'], output: ['da'] },
        { name: 'project', opType: 'Conv', input: ['da', 'w_project'], output: ['y'], attribute: [ints('kernel_shape', [1, 1])] },
      ],
      initializer: [weights('w_expand', [EXPANDED, CHANNELS, 1, 1]), weights('w_dw', [EXPANDED, 1, 3, 3]), weights('w_project', [CHANNELS, EXPANDED, 1, 1])],
      input: [tensor('x')],
      output: [tensor('y')],
    },
  }).finish();
}

/**
 * Times the reference workload, single-threaded like the jobs, in this process: a few milliseconds
 * per probe. The session is created on first use and kept (a probe must not pay for it).
 */
export class HostSpeedProbe {
  private session?: Promise<ort.InferenceSession>;
  private readonly feeds = {
    x: new ort.Tensor(
      'float32',
      Float32Array.from({ length: CHANNELS * SIZE * SIZE }, (_, i) => ((i * 31) % 97) / 97 - 0.5),
      [1, CHANNELS, SIZE, SIZE],
    ),
  };

  constructor(private readonly clock: LoopClock = systemClock) {}

  /** The fastest of the reference workload's timed runs, in ns. */
  async measureNs(): Promise<number> {
    this.session ??= ort.InferenceSession.create(hostProbeModel(), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const session = await this.session;
    await session.run(this.feeds);
    const times: number[] = [];
    for (let i = 0; i < PROBE_RUNS; i++) {
      const t0 = this.clock.nowNs();
      await session.run(this.feeds);
      times.push(Number(this.clock.nowNs() - t0));
    }
    return Math.min(...times);
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await (await session)?.release();
  }
}
