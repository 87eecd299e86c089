import v8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { LITERT_LOAD_TIMEOUT_MS, loadLiteRtInNode, STABLE_WASM_FLAGS } from './litert-node.js';

describe(loadLiteRtInNode.name, () => {
  it(
    "sets V8's Wasm flags for stable timings (TurboFan only, no tier-up, compiled at load) before LiteRT's module is compiled",
    async () => {
      const set = vi.spyOn(v8, 'setFlagsFromString');
      const litert = await loadLiteRtInNode();
      expect(set.mock.calls.map(([flag]) => flag)).toEqual([...STABLE_WASM_FLAGS]);
      expect(STABLE_WASM_FLAGS).toEqual(['--no-liftoff', '--no-wasm-dynamic-tiering', '--no-wasm-lazy-compilation']);
      expect(typeof litert.loadAndCompile).toBe('function');
    },
    LITERT_LOAD_TIMEOUT_MS,
  );
});
