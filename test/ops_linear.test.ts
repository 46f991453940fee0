// ops.linear is one tape node (product, then the bias added in place): values and
// gradients must equal the two-node matmul + add it replaced, bit for bit, on both backends.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, type BackendName } from '../src/tensor/backend.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from './helpers/rng.js';

const backends: BackendName[] = loadNativeKernels() ? ['ts', 'native'] : ['ts'];
for (const be of backends) {
  it(`linear equals matmul + add bit for bit (${be})`, () => {
    setBackend(be);
    const rng = new Rng(9);
    const rows = 57, inF = 33, outF = 40;
    const xv = rng.f32(rows * inF), wv = rng.f32(outF * inF), bv = rng.f32(outF), R = rng.f32(rows * outF);
    const go = (f: (x: Tensor, w: Tensor, b: Tensor) => Tensor) => {
      const x = new Tensor(xv.slice(), [rows, inF], true), w = new Tensor(wv.slice(), [outF, inF], true), b = new Tensor(bv.slice(), [outF], true);
      const y = f(x, w, b);
      const val = Float32Array.from(y.data);
      ops.sum(ops.mul(y, new Tensor(R, [rows, outF]))).backward();
      return [val, x.grad!, w.grad!, b.grad!].map((a) => Float32Array.from(a));
    };
    const fused = go((x, w, b) => ops.linear(x, w, b));
    const ref = go((x, w, b) => ops.add(ops.matmul(x, w, false, true), b));
    fused.forEach((a, i) => assert.deepEqual(a, ref[i], ['value', 'dx', 'dW', 'db'][i]));
    assert.throws(() => ops.linear(new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(12), [4, 3]), new Tensor(new Float32Array(3), [3])),
      /linear: bias \[3\] must be \[4\]/);
  });
}
