// ops.linear is one tape node (product, then the bias, the residual and the relu taken in
// its store): values and gradients must equal the chain of nodes it replaced (matmul, add,
// add, relu), bit for bit, on both backends.
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

  it(`linear with relu and a residual equals matmul, add, add, relu bit for bit (${be})`, () => {
    setBackend(be);
    const rng = new Rng(10);
    const rows = 57, C = 40;
    const xv = rng.f32(rows * C), wv = rng.f32(C * C), bv = rng.f32(C), rv = rng.f32(rows * C);
    const R = rng.f32(rows * C), R2 = rng.f32(rows * C);
    type Fwd = (x: Tensor, w: Tensor, b: Tensor, r: Tensor, relu: boolean) => Tensor;
    const fused: Fwd = (x, w, b, r, relu) => ops.linear(x, w, b, relu, r);
    const chain: Fwd = (x, w, b, r, relu) => {
      const y = ops.add(ops.add(ops.matmul(x, w, false, true), b), r);
      return relu ? ops.relu(y) : y;
    };
    // which: the residual is a fresh tensor, x itself, also read by a later op (its
    // gradient has another contribution), or a tensor without a gradient.
    const go = (f: Fwd, relu: boolean, which: 'fresh' | 'x' | 'shared' | 'constant') => {
      const x = new Tensor(xv.slice(), [rows, C], true), w = new Tensor(wv.slice(), [C, C], true), b = new Tensor(bv.slice(), [C], true);
      const r0 = new Tensor(rv.slice(), [rows, C], which !== 'constant');
      const r = which === 'x' ? x : which === 'shared' ? ops.scale(r0, 0.5) : r0;
      const y = f(x, w, b, r, relu);
      const val = Float32Array.from(y.data);
      let loss = ops.sum(ops.mul(y, new Tensor(R, [rows, C])));
      if (which === 'shared') loss = ops.add(loss, ops.sum(ops.mul(r, new Tensor(R2, [rows, C]))));
      loss.backward();
      const grads = [x.grad!, w.grad!, b.grad!, ...(which === 'constant' || which === 'x' ? [] : [r0.grad!])];
      return [val, ...grads].map((a) => Float32Array.from(a));
    };
    for (const relu of [false, true]) {
      for (const which of ['fresh', 'x', 'shared', 'constant'] as const) {
        const a = go(fused, relu, which), e = go(chain, relu, which);
        assert.equal(a.length, e.length);
        a.forEach((v, i) => assert.deepEqual(v, e[i], `relu=${relu} residual ${which}: ${['value', 'dx', 'dW', 'db', 'dr'][i]}`));
      }
    }
    assert.throws(() => ops.linear(new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(12), [4, 3]), null, false,
      new Tensor(new Float32Array(6), [2, 3])), /linear: residual \[2, 3\] must be \[2, 4\]/);
  });
}
