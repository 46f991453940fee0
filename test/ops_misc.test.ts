// Autograd mechanics and the ops that are not checked by finite differences:
// dropout / drop-path from a seeded generator, no-grad mode, accumulation, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend } from '../src/tensor/backend.js';
import * as ops from '../src/tensor/ops.js';
import { noGrad, Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

setBackend('ts');

test('dropout: seeded, drops about p, scales kept values by 1/(1-p), identity in eval; gradient is the mask', () => {
  const x = new Tensor(new Float32Array(20000).fill(1), [200, 100], true);
  const a = ops.dropout(x, 0.3, true, new Rng(5));
  const b = ops.dropout(x, 0.3, true, new Rng(5));
  assert.deepEqual(a.data, b.data, 'same seed, same mask');
  const zeros = a.data.filter((v) => v === 0).length / a.size;
  assert.ok(Math.abs(zeros - 0.3) < 0.02, `dropped fraction ${zeros}`);
  assert.ok(a.data.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
  ops.sum(a).backward();
  assert.deepEqual(x.grad, a.data);
  assert.equal(ops.dropout(x, 0.3, false, new Rng(5)), x);
});

test('dropPath zeroes whole rows', () => {
  const x = new Tensor(new Float32Array(400).fill(2), [100, 4]);
  const y = ops.dropPath(x, 0.5, new Rng(3));
  let dropped = 0;
  for (let r = 0; r < 100; r++) {
    const row = y.data.subarray(r * 4, r * 4 + 4);
    assert.ok(row.every((v) => v === row[0]), 'a row is dropped or kept as a whole');
    if (row[0] === 0) dropped++; else assert.equal(row[0], 4);
  }
  assert.ok(dropped > 30 && dropped < 70, `dropped rows ${dropped}`);
});

test('noGrad records nothing; gradients accumulate over two backward passes', () => {
  const w = new Tensor(Float32Array.of(1, 2, 3), [3], true);
  const y = noGrad(() => ops.mul(w, w));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => ops.sum(y).backward(), /does not depend on any tensor that requires a gradient/);
  ops.sum(ops.mul(w, w)).backward();
  ops.sum(ops.mul(w, w)).backward();
  assert.deepEqual([...w.grad!], [4, 8, 12]);
});

test('bad input names the op and the shapes', () => {
  const a = Tensor.zeros([3, 4]), b = Tensor.zeros([5, 2]);
  assert.throws(() => ops.matmul(a, b), /matmul: inner dimensions differ: \[3, 4\] x \[5, 2\]/);
  assert.throws(() => ops.add(a, Tensor.zeros([2, 3])), /add: cannot broadcast \[2, 3\] to \[3, 4\]/);
  assert.throws(() => ops.gatherRows(a, Int32Array.of(0, 3)), /gatherRows/);
  assert.throws(() => ops.crossEntropy(a, Int32Array.of(0, 1)), /crossEntropy: target has 2 entries for logits \[3, 4\]/);
  assert.throws(() => ops.batchNorm(Tensor.zeros([1, 4]), null, null, { runningMean: null, runningVar: null, momentum: 0.1, eps: 1e-5 }, true),
    /batchNorm: expected more than 1 value per channel/);
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /Tensor: data has 5 elements but shape \[2, 3\] needs 6/);
});
