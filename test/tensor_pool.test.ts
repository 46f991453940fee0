import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ops from '../src/tensor/ops.js';
import { noGrad, scoped, ScratchPool, Tensor } from '../src/tensor/tensor.js';

test('ScratchPool: size classes within 25% slack, views of the requested length, recycled zeroed', () => {
  for (const n of [1024, 1025, 1300, 2047, 2048, 2049, 47360, 100000]) {
    const c = ScratchPool.classOf(n);
    assert.ok(c >= n && c <= n * 1.25 + 1, `class ${c} for ${n}`);
  }
  const pool = new ScratchPool();
  const a = pool.take(1300);
  assert.equal(a.length, 1300);
  a.fill(7);
  pool.give(a);
  const b = pool.take(1290); // same class: the same memory, zeroed
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.length, 1290);
  assert.ok(b.every((v) => v === 0));
  pool.give(b);
  const r = pool.takeRaw(1300);
  assert.equal(r.buffer, a.buffer);
  // A view into some other buffer is never pooled.
  const other = new Float32Array(4096);
  pool.give(other.subarray(1024, 2048));
  pool.give(other.subarray(0, 1500));
  assert.equal(pool.pooledBytes, 0);
});

test('backward recycles op outputs: repeated steps give identical values and gradients', () => {
  const x = Tensor.from(Array.from({ length: 40 * 64 }, (_, i) => Math.sin(i)), [40, 64]);
  const w = Tensor.from(Array.from({ length: 64 * 64 }, (_, i) => Math.cos(i) * 0.1), [64, 64], true);
  const step = (rows: number) => {
    w.grad = null;
    const xi = new Tensor(x.data.subarray(0, rows * 64), [rows, 64]);
    const y = ops.relu(ops.matmul(xi, w, false, true));
    const loss = ops.sum(ops.mul(y, y));
    const v = loss.item();
    loss.backward();
    return { v, g: Float32Array.from(w.grad!) };
  };
  const first = step(40);
  step(33); // another batch size in between: buffers of other lengths from the same classes
  const again = step(40);
  assert.equal(again.v, first.v);
  assert.deepEqual(again.g, first.g);
});

test('scoped: no-grad outputs are released for reuse; needs gradients off', () => {
  assert.throws(() => scoped(() => 1), /needs gradients off/);
  const x = Tensor.from(Array.from({ length: 2048 }, (_, i) => i - 1000), [32, 64]);
  const r1 = noGrad(() => scoped(() => ops.relu(x)));
  const kept = r1.value.data.slice();
  const buf = r1.value.data.buffer;
  r1.release();
  const r2 = noGrad(() => scoped(() => ops.scale(x, 2)));
  assert.equal(r2.value.data.buffer, buf, 'the released buffer is reused');
  assert.ok(kept.every((v, i) => v === Math.max(0, i - 1000)));
  r2.release();
});
