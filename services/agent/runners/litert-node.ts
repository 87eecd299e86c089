import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

type LiteRtModule = typeof import('@litertjs/core');

const require = createRequire(import.meta.url);
/** `@litertjs/core`'s `wasm/` folder (the package exports no subpaths: resolve the main file and walk up). */
export const LITERT_WASM_DIR = join(dirname(require.resolve('@litertjs/core')), '..', 'wasm') + '/';
export const LITERT_VERSION: string = (JSON.parse(readFileSync(join(LITERT_WASM_DIR, '..', 'package.json'), 'utf8')) as { version: string }).version;

let loading: Promise<LiteRtModule> | undefined;

/**
 * V8 flags for stable Wasm timings: TurboFan only, no Liftoff baseline and no dynamic tier-up, the
 * whole module compiled when it loads. By default V8 runs Wasm functions first in Liftoff and
 * re-compiles the hot ones with TurboFan in the background, so the same model's latency depended
 * on what the process had run before: measured on this VM (test/bench/RESULTS.md, "LiteRT timings
 * and V8's Wasm tiering"), six models run three times in one process moved by up to 2× between
 * rounds (EfficientNet-B0 11.6 → 22.9 ms, MnasNet-A1 dilated 30.4 → 15.9 ms); TurboFan only, every
 * round agreed within 10%. Compiled lazily, TurboFan compiles each function on its first call, on
 * the event loop (a first run took 1.7 s, holding the loop up to 0.26 s at a time); compiled
 * eagerly, the module compiles off the loop when LiteRT loads (10–11 s once per process here, the
 * loop free throughout).
 */
export const STABLE_WASM_FLAGS = ['--no-liftoff', '--no-wasm-dynamic-tiering', '--no-wasm-lazy-compilation'] as const;

/** How long loading LiteRT (compiling its Wasm module) may take on a slow, shared machine: 11 s on this VM's idle core. */
export const LITERT_LOAD_TIMEOUT_MS = 120_000;

/**
 * `@litertjs/core` in Node: the package is browser-first and loads its Emscripten glue with a
 * `<script>` tag unless `importScripts` exists (a worker). Give it a worker's globals, then load
 * the single-threaded Wasm build (XNNPACK inside). Once per process.
 */
export function loadLiteRtInNode(): Promise<LiteRtModule> {
  loading ??= (async () => {
    const g = globalThis as Record<string, unknown>;
    const shims: Record<string, unknown> = {
      self: globalThis,
      importScripts: (...urls: string[]) => {
        for (const url of urls) {
          const path = url.startsWith('file:') ? fileURLToPath(url) : url;
          vm.runInThisContext(readFileSync(path, 'utf8'), { filename: path });
        }
      },
      require,
      __dirname: LITERT_WASM_DIR,
    };
    // before the module is compiled: the flags apply to code compiled after they are set
    for (const flag of STABLE_WASM_FLAGS) v8.setFlagsFromString(flag);
    const added = Object.keys(shims).filter((k) => !(k in g));
    for (const k of added) g[k] = shims[k];
    try {
      const litert = await import('@litertjs/core');
      await litert.loadLiteRt(LITERT_WASM_DIR, { threads: false });
      return litert;
    } finally {
      // other libraries take a global `self` or `importScripts` for a browser or a worker: the loaded module no longer needs them
      for (const k of added) delete g[k];
    }
  })();
  return loading;
}
