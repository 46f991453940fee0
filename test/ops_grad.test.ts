// Finite-difference checks of every differentiable op THROUGH the autograd tape,
// on both backends: L = sum(op(inputs) * R), analytic d L / d input from backward()
// against central differences.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend } from '../src/tensor/backend.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { decayMask, maskLayout } from '../src/models/attention.js';
import { Rng } from './helpers/rng.js';

const H = 1e-2, RTOL = 2e-2, ATOL = 2e-3;

function randT(rng: Rng, shape: number[], lo = -1, hi = 1): Tensor {
  return new Tensor(rng.f32(shape.reduce((a, b) => a * b, 1), lo, hi), shape, true);
}
/** Values with |v| in [0.2, 1] and random sign: away from the kinks of relu/leaky_relu/max. */
function awayFromZero(rng: Rng, shape: number[]): Tensor {
  const t = randT(rng, shape);
  for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] < 0 ? -1 : 1) * (0.2 + 0.8 * Math.abs(t.data[i]));
  return t;
}

function check(name: string, inputs: Tensor[], f: (xs: Tensor[]) => Tensor, seed = 1): void {
  const rng = new Rng(seed);
  const out0 = f(inputs);
  const R = new Tensor(rng.f32(out0.size), out0.shape);
  const objective = () => {
    const o = f(inputs);
    let s = 0;
    for (let i = 0; i < o.size; i++) s += o.data[i] * R.data[i];
    return s;
  };
  for (const x of inputs) x.grad = null;
  const out = f(inputs);
  ops.sum(ops.mul(out, R)).backward();
  let checked = 0;
  inputs.forEach((x, xi) => {
    if (!x.requiresGrad) return;
    const g = x.grad ?? new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i];
      x.data[i] = v + H; const hi = Math.fround(v + H);
      const fp = objective();
      x.data[i] = v - H; const lo = Math.fround(v - H);
      const fm = objective();
      x.data[i] = v;
      const fd = (fp - fm) / (hi - lo);
      assert.ok(Math.abs(fd - g[i]) <= ATOL + RTOL * Math.abs(fd),
        `${name}: input ${xi}[${i}] analytic ${g[i]} vs numeric ${fd}`);
      checked++;
    }
  });
  assert.ok(checked > 0, `${name}: nothing checked`);
}

for (const backend of ['ts', 'native'] as const) {
  describe(`op gradients through the tape (${backend})`, () => {
    const rng = new Rng(42);
    const use = () => assert.equal(setBackend(backend).name, backend, `${backend} backend not available`);

    it('matmul, all transpose combinations, and linear', () => {
      use();
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = randT(rng, ta ? [4, 3] : [3, 4]), b = randT(rng, tb ? [5, 4] : [4, 5]);
        check(`matmul ${ta} ${tb}`, [a, b], ([x, y]) => ops.matmul(x, y, ta, tb));
      }
      check('linear', [randT(rng, [6, 4]), randT(rng, [3, 4]), randT(rng, [3])], ([x, w, b]) => ops.linear(x, w, b));
    });

    it('add, sub, mul, div with full, row, column and scalar broadcasting', () => {
      use();
      const shapes: number[][] = [[3, 4], [4], [1, 4], [3, 1], []];
      for (const [name, f] of [['add', ops.add], ['sub', ops.sub], ['mul', ops.mul], ['div', ops.div]] as const) {
        for (const s of shapes) {
          const a = randT(rng, [3, 4]);
          const b = name === 'div' ? randT(rng, s.length ? s : [1], 0.5, 1.5) : randT(rng, s.length ? s : [1]);
          check(`${name} b=[${s}]`, [a, b], ([x, y]) => f(x, y));
        }
      }
    });

    it('unary ops: relu, leaky_relu, sigmoid, exp, log, scale, addScalar, powBase (with a tensor base)', () => {
      use();
      check('relu', [awayFromZero(rng, [5, 3])], ([x]) => ops.relu(x));
      check('leakyRelu', [awayFromZero(rng, [5, 3])], ([x]) => ops.leakyRelu(x, 0.1));
      check('sigmoid', [randT(rng, [5, 3])], ([x]) => ops.sigmoid(x));
      check('exp', [randT(rng, [5, 3])], ([x]) => ops.exp(x));
      check('log', [randT(rng, [5, 3], 0.5, 2)], ([x]) => ops.log(x));
      check('scale', [randT(rng, [5, 3])], ([x]) => ops.scale(x, -1.5));
      check('addScalar', [randT(rng, [5, 3])], ([x]) => ops.addScalar(x, 0.3));
      check('powBase number', [randT(rng, [5, 3], 0, 3)], ([x]) => ops.powBase(0.6, x));
      const gamma = new Tensor(Float32Array.of(0.6), [1], true);
      check('powBase tensor base', [randT(rng, [5, 3], 0, 3), gamma], ([x, g]) => ops.powBase(g, x));
    });

    it('sum and mean over axes and over everything; reshape', () => {
      use();
      for (const ax of [0, 1, undefined] as const) {
        check(`sum ${ax}`, [randT(rng, [4, 3])], ([x]) => ops.sum(x, ax));
        check(`mean ${ax}`, [randT(rng, [4, 3])], ([x]) => ops.mean(x, ax));
      }
      const w = new Tensor(rng.f32(12), [2, 6]);
      check('reshape', [randT(rng, [4, 3])], ([x]) => ops.mul(x.reshape([2, 6]), w));
    });

    it('softmax, logSoftmax and the losses', () => {
      use();
      check('softmax', [randT(rng, [4, 5], -2, 2)], ([x]) => ops.softmax(x));
      check('logSoftmax', [randT(rng, [4, 5], -2, 2)], ([x]) => ops.logSoftmax(x));
      const tgt = Int32Array.of(0, 3, 2, 3);
      check('crossEntropy', [randT(rng, [4, 4], -2, 2)], ([x]) => ops.crossEntropy(x, tgt));
      check('crossEntropy weighted', [randT(rng, [4, 4], -2, 2)], ([x]) => ops.crossEntropy(x, tgt, Float32Array.of(0.5, 1, 2, 3)));
      const y = Float32Array.of(1, 0, 1, 0, 0, 1);
      check('bceWithLogits masked', [randT(rng, [3, 2], -2, 2)], ([x]) => ops.bceWithLogits(x, y, Uint8Array.of(1, 1, 0, 1, 1, 0)));
      check('l1Loss', [awayFromZero(rng, [6, 1])], ([x]) => ops.l1Loss(x, new Float32Array(6)));
    });

    it('gatherRows, scatterAddRows, embedding, concatCols, segmentReduce', () => {
      use();
      const idx = Int32Array.of(2, 0, 2, 1, 4);
      check('gatherRows', [randT(rng, [5, 3])], ([x]) => ops.gatherRows(x, idx));
      check('scatterAddRows', [randT(rng, [5, 3])], ([x]) => ops.scatterAddRows(x, idx, 6));
      check('embedding', [randT(rng, [5, 3])], ([w]) => ops.embedding(w, idx));
      check('concatCols', [randT(rng, [4, 2]), randT(rng, [4, 3]), randT(rng, [4, 1])], (xs) => ops.concatCols(xs));
      const ptr = Int32Array.of(0, 2, 2, 5, 6);
      for (const op of ['sum', 'mean', 'max'] as const) {
        // distinct values 0.1 apart: no near-ties for max within the finite-difference step
        const x = randT(rng, [6, 3]);
        const perm = [...Array(18).keys()].sort(() => rng.next() - 0.5);
        perm.forEach((p, i) => { x.data[i] = 0.1 * p - 0.9; });
        check(`segmentReduce ${op}`, [x], ([t]) => ops.segmentReduce(t, ptr, op));
      }
    });

    it('batchNorm in train and eval mode, with weight and bias', () => {
      use();
      for (const training of [true, false]) {
        const state = () => ({ runningMean: Float32Array.of(0.1, -0.2, 0.3), runningVar: Float32Array.of(0.5, 1.5, 2), momentum: 0.1, eps: 1e-5 });
        check(`batchNorm train=${training}`, [randT(rng, [6, 3], -2, 2), randT(rng, [3], 0.5, 1.5), randT(rng, [3])],
          ([x, w, b]) => ops.batchNorm(x, w, b, state(), training));
      }
    });

    it('ragged attention: gradients for q, k, v and the mask, graphs of 1, 3 and 4 nodes, 2 heads', () => {
      use();
      const graphPtr = Int32Array.of(0, 1, 4, 8);
      const heads = 2, dk = 3, N = 8, S = 1 + 9 + 16;
      check('raggedAttention', [randT(rng, [N, heads * dk]), randT(rng, [N, heads * dk]), randT(rng, [N, heads * dk]), randT(rng, [heads * S, 1], 0, 1)],
        ([q, k, v, m]) => ops.raggedAttention(q, k, v, m, graphPtr, heads).out);
    });

    it('decay mask: gradients reach hop and the learnable gamma', () => {
      use();
      // distances avoid hop exactly (kink of leaky_relu); one unreachable pair.
      const spd = Uint16Array.of(0, 1, 3, 1, 0, 510, 2, 510, 0, 0);
      const layout = maskLayout(spd, Int32Array.of(0, 9, 10), 2);
      const hop = new Tensor(Float32Array.of(1.5, 0.7), [2, 1, 1], true);
      check('decayMask hop', [hop], ([h]) => decayMask(layout, h, 0.6, 0.1));
      const logit = new Tensor(Float32Array.of(0.3, -0.4), [2, 1, 1], true);
      check('decayMask hop+gamma', [hop, logit], ([h, g]) => decayMask(layout, h, 0.6, 0.1, g));
      const m = decayMask(layout, hop, 0.6, 0.1);
      assert.equal(m.data[5], 0, 'an unreachable pair (510) gives a mask of exactly 0');
    });
  });
}
