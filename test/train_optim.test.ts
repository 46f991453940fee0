// Optimiser steps against hand-computed PyTorch-formula values, the official
// warm-up/cosine schedule (both stepping modes) and global-norm clipping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../src/tensor/tensor.js';
import { clipGradNorm } from '../src/train/clip.js';
import { Optimizer } from '../src/train/optim.js';
import { LrSchedule, warmupCosineFactor } from '../src/train/schedule.js';

const close = (a: ArrayLike<number>, b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

function twoSteps(kind: 'adam' | 'adamw'): Float32Array[] {
  const p = Tensor.from([1, -2], [2], true);
  const opt = new Optimizer(kind, [['w', p]], { lr: 0.1, weightDecay: 0.1 });
  const out: Float32Array[] = [];
  for (let s = 0; s < 2; s++) {
    p.grad = Float32Array.of(0.5, -0.25);
    opt.step();
    out.push(p.data.slice());
  }
  return out;
}

test('Adam (L2 weight decay) one and two steps match torch.optim.Adam by hand', () => {
  // m = b1 m + (1-b1)(g + wd p), v likewise; p -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps)
  const [s1, s2] = twoSteps('adam');
  close(s1, [0.9000000016666666, -1.900000002222222], 2e-7, 'step 1');
  close(s2, [0.8000473404883315, -1.800064887431148], 2e-7, 'step 2');
});

test('AdamW (decoupled weight decay) one and two steps match torch.optim.AdamW by hand', () => {
  const [s1, s2] = twoSteps('adamw');
  close(s1, [0.890000002, -1.8800000039999998], 2e-7, 'step 1');
  close(s2, [0.7811000039800006, -1.7612000079600003], 2e-7, 'step 2');
});

test('a parameter without a gradient is skipped (no decay), and the state round-trips', () => {
  const a = Tensor.from([1, 2], [2], true), b = Tensor.from([3], [1], true);
  const opt = new Optimizer('adamw', [['a', a], ['b', b]], { lr: 0.1, weightDecay: 0.5 });
  a.grad = Float32Array.of(1, 1);
  opt.step();
  assert.deepEqual(Array.from(b.data), [3]);
  const st = opt.getState();
  assert.deepEqual(Object.keys(st.steps), ['a']);
  const a2 = Tensor.from(a.data, [2], true);
  const opt2 = new Optimizer('adamw', [['a', a2], ['b', Tensor.from([3], [1], true)]], { lr: 0.1, weightDecay: 0.5 });
  opt2.setState(st);
  a.grad = Float32Array.of(0.3, -0.7); a2.grad = Float32Array.of(0.3, -0.7);
  opt.step(); opt2.step();
  assert.deepEqual(Array.from(a2.data), Array.from(a.data));
});

test('SGD with momentum follows PyTorch (buffer = g on the first step)', () => {
  const p = Tensor.from([1], [1], true);
  const opt = new Optimizer('sgd', [['p', p]], { lr: 0.1, weightDecay: 0, momentum: 0.9 });
  p.grad = Float32Array.of(1); opt.step(); // buf 1 -> p 0.9
  p.grad = Float32Array.of(1); opt.step(); // buf 1.9 -> p 0.71
  close(p.data, [0.71], 1e-6, 'p');
});

test('official warm-up/cosine factor', () => {
  assert.equal(warmupCosineFactor(0, 5, 100), 1e-6);
  assert.equal(warmupCosineFactor(2, 5, 100), 0.4);
  assert.equal(warmupCosineFactor(5, 5, 100), 1);
  assert.ok(Math.abs(warmupCosineFactor(52.5, 5, 100) - 0.5) < 1e-12);
  assert.equal(warmupCosineFactor(100, 5, 100), 0);
});

test('schedule quirk: sized in steps, stepped per epoch; corrected: per batch', () => {
  // 10 epochs of 4 batches, warm-up 5: total 40 steps.
  const q = new LrSchedule(1, { kind: 'warmup_cosine', stepEvery: 'epoch', warmup: 5, epochs: 10, batchesPerEpoch: 4 });
  const perEpoch: number[] = [];
  for (let e = 0; e < 10; e++) {
    for (let b = 0; b < 4; b++) q.afterBatch(); // no effect in epoch mode
    perEpoch.push(q.lr());
    q.afterEpoch();
  }
  // Epoch 1 trains at 1e-6, epochs 2..5 at 0.2..0.8, epoch 6 at 1, then the cosine over 35 steps barely moves.
  close(perEpoch.slice(0, 6), [1e-6, 0.2, 0.4, 0.6, 0.8, 1], 1e-12, 'warm-up');
  close([perEpoch[9]], [0.5 * (1 + Math.cos(Math.PI * 4 / 35))], 1e-12, 'epoch 10');
  assert.ok(perEpoch[9] > 0.95);
  const f = new LrSchedule(1, { kind: 'warmup_cosine', stepEvery: 'step', warmup: 5, epochs: 10, batchesPerEpoch: 4 });
  const lrs: number[] = [];
  for (let e = 0; e < 10; e++) { for (let b = 0; b < 4; b++) { lrs.push(f.lr()); f.afterBatch(); } f.afterEpoch(); }
  assert.equal(lrs[10], 0.5); // warm-up 5 epochs = 20 steps
  assert.equal(lrs[20], 1);
  close([lrs[39]], [0.5 * (1 + Math.cos(Math.PI * 19 / 20))], 1e-12, 'last step');
  assert.equal(new LrSchedule(0.3, { kind: 'none', stepEvery: 'epoch', warmup: 5, epochs: 10, batchesPerEpoch: 4 }).lr(), 0.3);
});

test('clipGradNorm scales by max/(norm + 1e-6) only above the limit', () => {
  const a = Tensor.from([0, 0], [2], true), b = Tensor.from([0], [1], true);
  a.grad = Float32Array.of(3, 0); b.grad = Float32Array.of(4);
  assert.equal(clipGradNorm([a, b], 10).item(), 5);
  assert.deepEqual(Array.from(b.grad), [4]);
  assert.equal(clipGradNorm([a, b], 1).item(), 5);
  close(a.grad, [3 / (5 + 1e-6), 0], 1e-7, 'a'); close(b.grad, [4 / (5 + 1e-6)], 1e-7, 'b');
});
