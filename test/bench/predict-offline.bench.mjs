// Latency predictors trained offline on the runs a predict benchmark exported (its --export): the
// same grouping (measuredVariants) and training (trainPredictor, 5-fold cross-validation by
// variant) as POST /api/v1/predictors, scored on the held-out studies' variants against the median
// of their runs. For ablations without re-measuring: kernel predictor with and without the
// layer-sum blend, layer-sum alone.
//   npm run build && node test/bench/predict-offline.bench.mjs --export FILE [--model kernels|layer-sum] [--no-blend]
//     [--train '^calibrate'] [--test '^predict-holdout'] [--out FILE]
// --out writes the held-out rows ({variant, predictedMs, measuredMs}) as predict.bench.mjs's --out has them, for
// test/bench/predict-live.bench.mjs (the live level replayed in measurement order).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_KERNEL_MODEL, predictorOf, trainPredictor } from '../../dist/lib/predict/index.js';
import { measuredVariants } from '../../dist/query/predictor.service.js';

const { values: args } = parseArgs({
  options: {
    export: { type: 'string' },
    model: { type: 'string', default: 'kernels' },
    'no-blend': { type: 'boolean', default: false },
    train: { type: 'string', default: '^calibrate' },
    test: { type: 'string', default: '^predict-holdout' },
    out: { type: 'string' },
  },
});
if (!args.export) throw new Error('--export FILE: the --export of test/bench/predict.bench.mjs');
const { runs, kernels } = JSON.parse(readFileSync(args.export, 'utf8'));
// runs exported before the host probe and CPU share were: as stored without them
const asStored = (r) => ({ hostProbeNs: null, cpuShare: null, format: 'onnx', ...r });
const variantsOf = (re) => {
  const list = runs.filter((r) => new RegExp(re).test(r.study) && r.medianNs > 0).map(asStored);
  const ids = new Set(list.map((r) => r.runId));
  return measuredVariants(
    list,
    kernels.filter((k) => ids.has(k.runId)),
  );
};
const training = variantsOf(args.train);
const heldOut = variantsOf(args.test);
const options = { ...DEFAULT_KERNEL_MODEL, blend: !args['no-blend'] };
const t0 = Date.now();
const trained = trainPredictor(training, 5, options, args.model);
const seconds = (Date.now() - t0) / 1000;
const predictor = predictorOf(trained.model);
const rows = heldOut.map((v) => ({ variant: v.name, predictedMs: predictor.predict(v).medianNs / 1e6, measuredMs: v.medianNs / 1e6 }));
if (args.out) writeFileSync(args.out, JSON.stringify({ command: process.argv.slice(1).join(' '), rows }));
const errors = rows.map((r) => (r.predictedMs - r.measuredMs) / r.measuredMs);
const within = (x) => (100 * errors.filter((e) => Math.abs(e) <= x).length) / errors.length;
const rmspe = 100 * Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
const sorted = [...errors].sort((a, b) => a - b);
const f = (x, d = 1) => x.toFixed(d);
console.log(
  `${args.model}${args.model === 'kernels' ? (options.blend ? `, blended (weight ${trained.model.blend?.weight ?? 0})` : ', no blend') : ''}: trained on ${training.length} variants in ${f(seconds)} s; ` +
    `cross-validation ${f(trained.accuracy.within5Pct)}% / ${f(trained.accuracy.within10Pct)}% within ±5% / ±10%, RMSPE ${f(trained.accuracy.rmspePct, 2)}%`,
);
console.log(
  `| ${args.model}${args.model === 'kernels' ? (options.blend ? ' + layer-sum blend' : '') : ''} | ${heldOut.length} | ${f(within(0.05))}% | ${f(within(0.1))}% | ${f(rmspe, 2)}% | ${f(100 * sorted[sorted.length >> 1], 2)}% |`,
);
