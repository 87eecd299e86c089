import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

type LiteRtModule = typeof import('@litertjs/core');

const require = createRequire(import.meta.url);
/** `@litertjs/core`'s `wasm/` folder (the package exports no subpaths: resolve the main file and walk up). */
export const LITERT_WASM_DIR = join(dirname(require.resolve('@litertjs/core')), '..', 'wasm') + '/';
export const LITERT_VERSION: string = (JSON.parse(readFileSync(join(LITERT_WASM_DIR, '..', 'package.json'), 'utf8')) as { version: string }).version;

let loading: Promise<LiteRtModule> | undefined;

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
