import v8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { loadLiteRtInNode, STABLE_WASM_FLAGS } from './litert-node.js';

describe(loadLiteRtInNode.name, () => {
  it("sets V8's Wasm flags for stable timings (TurboFan only, no tier-up) before LiteRT's module is compiled", async () => {
    const set = vi.spyOn(v8, 'setFlagsFromString');
    const litert = await loadLiteRtInNode();
    expect(set.mock.calls.map(([flag]) => flag)).toEqual([...STABLE_WASM_FLAGS]);
    expect(STABLE_WASM_FLAGS).toEqual(['--no-liftoff', '--no-wasm-dynamic-tiering']);
    expect(typeof litert.loadAndCompile).toBe('function');
  });
});
