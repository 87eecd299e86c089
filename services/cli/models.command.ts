import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { Option, type Command } from 'commander';
import type { ApiClient } from './api.client.js';
import { compactTable } from './render.js';
import { buildTflite, buildVariant, describeVariant, listBuiltinStudies, listModels, parseVariantSpec } from '../lib/models/index.js';
import { knobReference, knobReferenceMarkdown } from '../lib/models/knob-reference.js';

const millions = (n: number) => (n / 1e6).toFixed(1);

/** A canonical name (`mobilenetv3-large-1.0@160`) or an inline JSON variant spec. */
function specArg(arg: string): unknown {
  return arg.trim().startsWith('{') ? JSON.parse(arg) : arg;
}

/** `1,3,224,224` -> [1, 3, 224, 224] */
function shapeArg(text: string): number[] {
  const dims = text.split(',').map((d) => Number(d.trim()));
  if (dims.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error(`--input-shape ${text}: expected comma-separated positive integers, e.g. 1,3,224,224`);
  return dims;
}

export function registerModelCommands(program: Command, api: (opts: { url?: string }) => ApiClient): void {
  const models = program.command('models').description('the variant builder (list, describe, build ONNX and TFLite variants) and models you bring (import)');

  models
    .command('import <file>')
    .description('import an ONNX or TFLite model into the fleet; a study then names it by name or sha256 (variants: [{ model: <name> }])')
    .option('--name <name>', 'the name studies give it by (default: the file name without its extension)')
    .option('--input-shape <dims>', "the input's static shape, e.g. 1,3,224,224 (needed when the file leaves a dimension open)", shapeArg)
    .option('--url <url>', 'query service URL')
    .option('--json', 'JSON output (the stored model with its layers)')
    .action(async (file: string, opts: { name?: string; inputShape?: number[]; url?: string; json?: boolean }) => {
      const name = opts.name ?? basename(file, extname(file));
      const m = await api(opts).importModel(readFileSync(file), name, opts.inputShape);
      if (opts.json) return void process.stdout.write(JSON.stringify(m, null, 2) + '\n');
      const table = compactTable(['layer', 'op', 'output', 'MAdds M', 'params K']);
      for (const l of m.layers) table.push([l.name, l.op, l.outputShape.join('×'), (l.madds / 1e6).toFixed(2), (l.params / 1e3).toFixed(1)]);
      process.stdout.write(
        `${m.name} (${m.format}, input ${m.inputName} [${m.inputShape.join(', ')}]): ${millions(m.madds)}M MAdds, ${millions(m.params)}M params, ` +
          `${m.layers.length} layers\nsha256 ${m.sha256}\n${table.toString()}\n`,
      );
    });

  models
    .command('attach <model> <file>')
    .description(
      'attach a vendor artifact compiled from a model (e.g. .rknn from its ONNX with the vendor converter) to it; <model> is a variant name ' +
        '(as models build writes it), an imported model name or a sha256. A study then measures the variant in that format (format: rknn), ' +
        'on a board agent that announces it',
    )
    .requiredOption('--format <format>', 'the vendor format of the file, as the board agent announces it (e.g. rknn)')
    .option('--url <url>', 'query service URL')
    .option('--json', 'JSON output')
    .action(async (model: string, file: string, opts: { format: string; url?: string; json?: boolean }) => {
      const a = await api(opts).attachArtifact(model, readFileSync(file), opts.format);
      if (opts.json) return void process.stdout.write(JSON.stringify(a, null, 2) + '\n');
      process.stdout.write(`${a.format} artifact ${a.sha256} (${a.sizeBytes} bytes) attached to ${a.name} (${a.artifactOf})\n`);
    });

  models
    .command('list')
    .description('published models, their families and the built-in studies')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) => {
      const list = listModels();
      const studies = listBuiltinStudies();
      if (opts.json) return void process.stdout.write(JSON.stringify({ models: list, studies }, null, 2) + '\n');
      const table = compactTable(['model', 'family', 'res', 'MAdds M', 'params M', 'top-1']);
      for (const m of list) {
        const d = describeVariant(m.name);
        table.push([m.name, m.family, String(m.resolution), millions(d.madds), millions(d.params), m.published?.top1?.toFixed(1) ?? '']);
      }
      process.stdout.write(`${table.toString()}\n\nbuilt-in studies:\n`);
      for (const s of studies) process.stdout.write(`  ${s.name.padEnd(24)} ${s.description}\n`);
    });

  models
    .command('describe <name-or-spec>')
    .description('layers, MAdds and parameters of a variant (no weights built)')
    .option('--json', 'JSON output (name, family, madds, params, resolution, layers, ...)')
    .action((arg: string, opts: { json?: boolean }) => {
      const d = describeVariant(parseVariantSpec(specArg(arg)));
      if (opts.json) return void process.stdout.write(JSON.stringify(d, null, 2) + '\n');
      const table = compactTable(['layer', 'role', 'op', 'k', 's', 'output', 'MAdds M', 'params K']);
      for (const l of d.layers) {
        table.push([l.name, l.role, l.op, String(l.kernel), String(l.stride), l.outputShape.slice(1).join('×'), (l.madds / 1e6).toFixed(2), (l.params / 1e3).toFixed(1)]);
      }
      process.stdout.write(`${d.name} (${d.family}) @${d.resolution}: ${millions(d.madds)}M MAdds, ${millions(d.params)}M params\n${table.toString()}\n`);
    });

  models
    .command('knobs [model]')
    .description("every knob: its name in variant names, spec objects and axes, its values, its default (per family, or MODEL's) and the paper that ablates it")
    .option('--json', 'JSON output')
    .option('--markdown', 'the reference as docs/knobs.md holds it')
    .action((model: string | undefined, opts: { json?: boolean; markdown?: boolean }) => {
      if (opts.markdown) return void process.stdout.write(knobReferenceMarkdown());
      const knobs = model === undefined ? knobReference() : knobReference([model]);
      if (opts.json) return void process.stdout.write(JSON.stringify(knobs, null, 2) + '\n');
      const models = Object.keys(knobs[0]!.defaults);
      const table = compactTable(['knob', 'in a name', 'values', ...(model === undefined ? [] : ['default'])]);
      for (const k of knobs) table.push([k.field, k.inName, k.values, ...(model === undefined ? [] : [k.defaults[models[0]!]!])]);
      process.stdout.write(`${table.toString()}\n`);
      if (model !== undefined) return void process.stdout.write(`defaults of ${models[0]}; ablated by: latfleet models knobs --markdown\n`);
      const defaults = compactTable(['default', ...models]);
      for (const k of knobs) defaults.push([k.field, ...models.map((m) => k.defaults[m]!)]);
      process.stdout.write(`\n${defaults.toString()}\n\nwhich paper ablates each knob: docs/knobs.md (latfleet models knobs --markdown)\n`);
    });

  models
    .command('build <name-or-spec>')
    .description('write the model (ONNX, or TFLite of the same weights) and its layer metadata (JSON) to a directory')
    .requiredOption('-o, --out <dir>', 'output directory')
    .addOption(new Option('--format <format>', 'model format').choices(['onnx', 'tflite']).default('onnx'))
    .action((arg: string, opts: { out: string; format: 'onnx' | 'tflite' }) => {
      const spec = parseVariantSpec(specArg(arg));
      const { bytes, meta } =
        opts.format === 'tflite'
          ? (({ tflite, ...rest }) => ({ bytes: tflite, meta: rest }))(buildTflite(spec))
          : (({ onnx, ...rest }) => ({ bytes: onnx, meta: rest }))(buildVariant(spec));
      mkdirSync(opts.out, { recursive: true });
      const modelPath = join(opts.out, `${meta.name}.${opts.format}`);
      writeFileSync(modelPath, bytes);
      // ONNX keeps its <name>.json; the TFLite twin's description (NHWC input shape) sits beside it
      writeFileSync(join(opts.out, `${meta.name}${opts.format === 'onnx' ? '' : '.tflite'}.json`), JSON.stringify(meta, null, 2) + '\n');
      process.stdout.write(`${modelPath}  sha256 ${meta.sha256}  ${(bytes.byteLength / 1e6).toFixed(1)} MB\n`);
    });
}
