// ops.batchNorm with an addend is one tape node (the normalisation, then the add in its
// store): values, running statistics and every gradient must equal the chain of nodes
// it replaced, add(addend, batchNorm(x)), bit for bit, on every backend here.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, type BackendName } from '../src/tensor/backend.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from './helpers/rng.js';

/** The bit patterns (NaN payloads and the sign of zero included). */
const bits = (a: ArrayLike<number>) => new Uint32Array(Float32Array.from(a).buffer);

const backends: BackendName[] = loadNativeKernels() ? ['ts', 'native'] : ['ts'];
for (const be of backends) {
  it(`batchNorm with an addend equals add(addend, batchNorm(x)) bit for bit, values and gradients (${be})`, () => {
    setBackend(be);
    const rng = new Rng(21);
    const rows = 57, C = 40;
    const xv = rng.f32(rows * C, -2, 3), wv = rng.f32(C, 0.5, 1.5), bv = rng.f32(C), av = rng.f32(rows * C);
    const R = rng.f32(rows * C), R2 = rng.f32(rows * C);
    type Fwd = (x: Tensor, w: Tensor, b: Tensor, a: Tensor, st: ops.BatchNormState, training: boolean) => Tensor;
    const fused: Fwd = (x, w, b, a, st, training) => ops.batchNorm(x, w, b, st, training, a);
    const chain: Fwd = (x, w, b, a, st, training) => ops.add(a, ops.batchNorm(x, w, b, st, training));
    // which: the addend is a fresh tensor, x itself, x also read by a later op (x's gradient
    // then sums three contributions, in the chain's order), a tensor also read by a later
    // op (its gradient has another contribution), or a tensor without a gradient.
    type Which = 'fresh' | 'x' | 'x-shared' | 'shared' | 'constant';
    const go = (f: Fwd, training: boolean, which: Which) => {
      const x0 = new Tensor(xv.slice(), [rows, C], true);
      const x = ops.scale(x0, 1); // an op output, so that x's gradient is a tape buffer as in the model
      const w = new Tensor(wv.slice(), [C], true), b = new Tensor(bv.slice(), [C], true);
      const a0 = new Tensor(av.slice(), [rows, C], which !== 'constant');
      const a = which === 'x' || which === 'x-shared' ? x : which === 'shared' ? ops.scale(a0, 0.5) : a0;
      const st: ops.BatchNormState = { runningMean: new Float32Array(C), runningVar: new Float32Array(C).fill(1), momentum: 0.1, eps: 1e-5 };
      const y = f(x, w, b, a, st, training);
      const val = Float32Array.from(y.data);
      let loss = ops.sum(ops.mul(y, new Tensor(R, [rows, C])));
      if (which === 'shared' || which === 'x-shared') loss = ops.add(loss, ops.sum(ops.mul(a, new Tensor(R2, [rows, C]))));
      loss.backward();
      const grads = [x0.grad!, w.grad!, b.grad!, ...(which === 'constant' || which === 'x' || which === 'x-shared' ? [] : [a0.grad!])];
      return [val, st.runningMean as Float32Array, st.runningVar as Float32Array, ...grads].map(bits);
    };
    for (const training of [true, false]) {
      for (const which of ['fresh', 'x', 'x-shared', 'shared', 'constant'] as const) {
        const got = go(fused, training, which), want = go(chain, training, which);
        assert.equal(got.length, want.length);
        got.forEach((v, i) => assert.deepEqual(v, want[i],
          `training=${training} addend ${which}: ${['value', 'running mean', 'running var', 'dx', 'dW', 'db', 'daddend'][i]}`));
      }
    }
    const st: ops.BatchNormState = { runningMean: null, runningVar: null, momentum: 0.1, eps: 1e-5 };
    assert.throws(() => ops.batchNorm(new Tensor(new Float32Array(6), [3, 2]), null, null, st, true, new Tensor(new Float32Array(4), [2, 2])),
      /batchNorm: addend \[2, 2\] must be the shape of the input \[3, 2\]/);
  });
}
