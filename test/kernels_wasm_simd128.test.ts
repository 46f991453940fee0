// The SIMD128 build of the WebAssembly kernels (dist/wasm/gradformer.wasm: what
// engines without relaxed SIMD load, e.g. Node 20 without its V8 flag) against
// the TypeScript reference, with the suites kernels_wasm.test.ts runs on the
// relaxed-SIMD build: the two builds differ only in the products' multiply-add
// (fused in the relaxed one), so each is held to the same agreement on its own.
// A missing module FAILS this file, saying how to build it.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kernels } from '../src/tensor/kernels.js';
import { tsKernels as T } from '../src/tensor/kernels_ts.js';
import { WASM_FILES } from '../src/tensor/kernels_wasm.js';
import { loadWasmKernelsFrom, wasmPath } from '../src/tensor/kernels_wasm_node.js';
import { registerAgreementTests } from './helpers/kernel_agreement.js';
import { KERNEL_CASES } from './helpers/kernel_cases.js';

let W: Kernels | null = null;
let loadError = '';
try {
  // Named apart from the relaxed build in the test names.
  W = Object.assign(loadWasmKernelsFrom(wasmPath(WASM_FILES.simd128) ?? `dist/wasm/${WASM_FILES.simd128}`), { name: 'wasm (SIMD128 build)' });
} catch (e) {
  loadError = (e as Error).message;
}

if (W === null) {
  test('the SIMD128 wasm kernels are built', () => assert.fail(`gradformer.wasm not loadable: ${loadError}`));
} else {
  const K = W;
  registerAgreementTests(K);
  describe('wasm (SIMD128 build) vs ts: the device cases (empty batches, 1-node and 500+-node graphs, every preset head count)', () => {
    for (const c of KERNEL_CASES) it(c.name, () => c.run(K, T));
  });
  describe('wasm (SIMD128 build): the products are not fused', () => {
    it('a product whose fused and unfused roundings differ gives the unfused value', () => {
      // C = (-1)(1 + 2^-11) + x x with x = 1 + 2^-12, x x = 1 + 2^-11 + 2^-24 exactly: a fused
      // step keeps the 2^-24; unfused, x x rounds to 1 + 2^-11 (a tie, to even) and C is 0.
      const x = 1 + 2 ** -12;
      const a = Float32Array.of(-1, x), b = Float32Array.of(1 + 2 ** -11, x), c = new Float32Array(1);
      K.matmul(a, b, c, 1, 2, 1, false, false, false);
      assert.equal(c[0], 0);
    });
  });
}
