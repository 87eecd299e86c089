import type { DataSource } from 'typeorm';
import { insertDevice, insertModel, insertRun, insertStudy, latencies, layerTimings, type SeededModel } from './study-results.factory.js';

/**
 * A study stored as a fleet would have measured it in rounds, for the figure and page specs: per
 * round and device one run of every variant with its timed latencies, profiled node timings and the
 * agent's attribution (kernel + executor overhead per layer and block). `msOf` gives each
 * variant's latency; a round's host factor and a later runtime version (slower) shape the history.
 */
export interface FigureStudyOptions {
  name: string;
  baseline: string;
  variants: Array<{ label: string; variant: string }>;
  devices: string[];
  rounds: number;
  msOf: (label: string) => number;
  /** from this round on, runs carry runtime 1.31.0 and take this factor longer (a regression in the device's history) */
  upgradeAt?: { round: number; slower: number };
  /** runs stored flagged busy-cpu: [label, device, round] */
  flagged?: Array<[string, string, number]>;
}

export interface FigureStudy {
  id: string;
  devices: Record<string, string>;
  models: Record<string, SeededModel>;
  /** `${label}/${device}/${round}` → run id */
  runs: Map<string, string>;
}

const DEMO_MS: Record<string, number> = { relu: 4.0, paper: 4.3, hswish: 4.6 };
/** The built-in demo study's variants (MobileNetV3-Large 1.0, three activation placements), about as fast as here. */
export const DEMO_STUDY = {
  name: 'demo',
  baseline: 'paper',
  variants: [
    { label: 'relu', variant: 'mobilenetv3-large-1.0+act=relu' },
    { label: 'paper', variant: 'mobilenetv3-large-1.0' },
    { label: 'hswish', variant: 'mobilenetv3-large-1.0+act=hswish' },
  ],
  msOf: (label: string) => DEMO_MS[label]!,
} satisfies Partial<FigureStudyOptions>;

const PROFILED_ITERATIONS = 3;
const OVERHEAD = 0.2;

/** What an agent reports of a run's attribution when every layer takes `layerNs` kernel time and 20% more between kernels. */
function attribution(m: SeededModel, layerNs: number) {
  const groups = (keyOf: (l: SeededModel['layers'][number]) => string) => {
    const byKey = new Map<string, number>();
    for (const l of m.layers) byKey.set(keyOf(l), (byKey.get(keyOf(l)) ?? 0) + 1);
    const total = m.layers.length * layerNs;
    return [...byKey].map(([key, nodes]) => ({
      key,
      kernelMedianNs: nodes * layerNs,
      overheadMedianNs: nodes * layerNs * OVERHEAD,
      totalMedianNs: nodes * layerNs * (1 + OVERHEAD),
      share: (nodes * layerNs) / total,
      totalShare: nodes / m.layers.length,
      nodes,
    }));
  };
  return { source: 'lineage', byLayer: groups((l) => l.name), byBlock: groups((l) => l.block), byOpType: groups(() => 'Conv') };
}

export async function seedFigureStudy(ds: DataSource, o: FigureStudyOptions): Promise<FigureStudy> {
  const devices: Record<string, string> = {};
  for (const name of o.devices) devices[name] = (await insertDevice(ds, { name })).id;
  const models: Record<string, SeededModel> = {};
  for (const v of o.variants) models[v.label] = await insertModel(ds, v.variant);
  const study = await insertStudy(ds, { name: o.name, baseline: o.baseline, variants: o.variants.map((v) => ({ label: v.label, model: models[v.label]! })) });
  const runs = new Map<string, string>();
  const start = Date.now() - 3_600_000;
  for (let round = 0; round < o.rounds; round++) {
    const upgraded = o.upgradeAt !== undefined && round >= o.upgradeAt.round;
    const host = (1 + 0.004 * ((round * 7) % 5)) * (upgraded ? o.upgradeAt!.slower : 1);
    for (const [device, deviceId] of Object.entries(devices)) {
      for (const v of o.variants) {
        const m = models[v.label]!;
        const flags = o.flagged?.some(([l, d, r]) => l === v.label && d === device && r === round) ? ['busy-cpu'] : undefined;
        const centerNs = o.msOf(v.label) * 1e6 * host * (flags ? 1.3 : 1);
        const layerNs = Math.round((centerNs * 0.8) / m.layers.length);
        const id = await insertRun(ds, {
          studyId: study.id,
          variantId: study.variantIds[v.label]!,
          deviceId,
          model: m,
          latenciesNs: latencies(centerNs, 40),
          timings: layerTimings(m.layers, PROFILED_ITERATIONS, () => layerNs),
          round,
          flags,
          createdAt: new Date(start + round * 60_000),
          environment: { runtimeVersion: upgraded ? '1.31.0' : '1.30.0', agentVersion: '0.1.0' },
        });
        await ds.query(`UPDATE runs SET report = report || jsonb_build_object('attribution', $2::jsonb) WHERE id = $1`, [id, JSON.stringify(attribution(m, layerNs))]);
        await ds.query(`UPDATE layer_timings SET overhead_ns = round(duration_ns * $2::float8) WHERE run_id = $1`, [id, OVERHEAD]);
        runs.set(`${v.label}/${device}/${round}`, id);
      }
    }
  }
  return { id: study.id, devices, models, runs };
}
