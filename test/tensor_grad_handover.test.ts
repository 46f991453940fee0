// First gradient contributions that skip the zero-filled buffer: matmul's backward
// overwrites an unzeroed buffer (Tensor.gradTarget) and a residual add hands its
// upstream gradient to an input that has none yet (Tensor.passGrad). Both must give
// the bits of the old path (accumulating into zeros), which a gradient buffer that
// already exists before backward() forces, on every backend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { useKernels, kernels } from '../src/tensor/backend.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const rand = (rng: Rng, shape: number[], req = true) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.from(Array.from({ length: n }, () => rng.nextFloat() * 2 - 1), shape, req);
};

/** A GPS-like block: residual adds around linear layers, an input used twice, x + x. */
function gradsOf(preallocate: boolean): Float32Array[] {
  const rng = new Rng(3);
  const x = rand(rng, [37, 24]), w1 = rand(rng, [24, 24]), b1 = rand(rng, [24]), w2 = rand(rng, [24, 24]);
  const leaves = [x, w1, b1, w2];
  if (preallocate) for (const t of leaves) t.gradBuffer(); // zeroed: the accumulate path
  const h = ops.add(ops.relu(ops.linear(x, w1, b1)), x);    // residual
  const f = ops.matmul(h, w2, false, true);
  const o = ops.add(ops.add(h, f), ops.add(f, f));           // an input twice, and x + x
  const loss = ops.sum(ops.mul(o, o));
  loss.backward();
  return leaves.map((t) => Float32Array.from(t.grad!));
}

const backends = [tsKernels, loadNativeKernels()].filter((k) => k !== null);
for (const K of backends) {
  describe(`gradient hand-over (${K.name})`, () => {
    it('overwriting or taking over a first gradient gives the bits of accumulating into zeros', () => {
      const prev = kernels();
      useKernels(K);
      try {
        const fresh = gradsOf(false), zeroed = gradsOf(true);
        fresh.forEach((g, i) => assert.deepEqual(g, zeroed[i], `leaf ${i}`));
        assert.ok(fresh[0].some((v) => v !== 0));
      } finally {
        useKernels(prev);
      }
    });
    it('x + x takes the gradient once and adds it once: 2g', () => {
      const prev = kernels();
      useKernels(K);
      try {
        const x = Tensor.from([1, -2, 3], [3], true);
        const y = ops.add(x, x);
        ops.sum(ops.mul(y, Tensor.from([5, 6, 7], [3]))).backward();
        assert.deepEqual(Array.from(x.grad!), [10, 12, 14]);
      } finally {
        useKernels(prev);
      }
    });
  });
}
