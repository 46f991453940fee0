// Hand-computed and naive-reference checks of the TypeScript kernels, plus
// bad-input tests (the message must name the kernel and the shapes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tsKernels as K } from '../src/tensor/kernels_ts.js';
import type { Broadcast } from '../src/tensor/kernels.js';
import { Rng } from './helpers/rng.js';

const f32 = (xs: number[]): Float32Array => new Float32Array(xs);
const i32 = (xs: number[]): Int32Array => new Int32Array(xs);

/** Element-wise |a - e| <= atol + rtol*|e| (NaN must match NaN). */
function close(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, atol = 1e-6, rtol = 1e-5, what = ''): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what} length`);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(e[i])) { assert.ok(Number.isNaN(a[i]), `${what}[${i}]: expected NaN, got ${a[i]}`); continue; }
    assert.ok(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]), `${what}[${i}]: got ${a[i]}, expected ${e[i]}`);
  }
}

describe('threads', () => {
  it('stores the thread count and rejects < 1', () => {
    K.setThreads(3);
    assert.equal(K.getThreads(), 3);
    K.setThreads(1);
    assert.throws(() => K.setThreads(0), /^Error: setThreads: n must be an integer >= 1, got 0/);
  });
});

describe('matmul', () => {
  /** Naive C = op(A) op(B) in double. */
  function naive(a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean, tB: boolean): number[] {
    const c = new Array<number>(m * n).fill(0);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) {
      c[i * n + j] += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
    }
    return c;
  }
  const rng = new Rng(11);
  for (const [m, k, n] of [[3, 4, 5], [1, 7, 2], [6, 1, 3], [4, 0, 2], [0, 3, 2]]) {
    for (const tA of [false, true]) for (const tB of [false, true]) {
      it(`m=${m} k=${k} n=${n} transA=${tA} transB=${tB}, set and accumulate`, () => {
        const a = rng.f32(m * k), b = rng.f32(k * n);
        const c = new Float32Array(m * n).fill(7); // overwritten when not accumulating
        K.matmul(a, b, c, m, k, n, tA, tB, false);
        const ref = naive(a, b, m, k, n, tA, tB);
        close(c, ref, 1e-6, 1e-5, 'C');
        const c0 = rng.f32(m * n);
        const c2 = c0.slice();
        K.matmul(a, b, c2, m, k, n, tA, tB, true);
        close(c2, ref.map((v, i) => v + c0[i]), 1e-6, 1e-5, 'C+=');
      });
    }
  }
  it('hand value [[1,2],[3,4]] x [[5,6],[7,8]]', () => {
    const c = new Float32Array(4);
    K.matmul(f32([1, 2, 3, 4]), f32([5, 6, 7, 8]), c, 2, 2, 2, false, false, false);
    assert.deepEqual(Array.from(c), [19, 22, 43, 50]);
  });
});

describe('binary and unary', () => {
  const a = f32([1, 2, 3, 4, 5, 6]); // [2, 3]
  const cases: [Broadcast, Float32Array, number[]][] = [
    ['full', f32([10, 20, 30, 40, 50, 60]), [11, 22, 33, 44, 55, 66]],
    ['row', f32([10, 20, 30]), [11, 22, 33, 14, 25, 36]],
    ['col', f32([10, 20]), [11, 12, 13, 24, 25, 26]],
    ['scalar', f32([10]), [11, 12, 13, 14, 15, 16]],
  ];
  for (const [bc, b, sum] of cases) {
    it(`broadcast ${bc}: add, sub, mul, div`, () => {
      const out = new Float32Array(6);
      const bAt = (i: number): number => ({ full: b[i], row: b[i % 3], col: b[Math.floor(i / 3)], scalar: b[0] })[bc];
      K.binary('add', a, b, out, 2, 3, bc); assert.deepEqual(Array.from(out), sum);
      K.binary('sub', a, b, out, 2, 3, bc); assert.deepEqual(Array.from(out), Array.from(a, (v, i) => v - bAt(i)));
      K.binary('mul', a, b, out, 2, 3, bc); assert.deepEqual(Array.from(out), Array.from(a, (v, i) => v * bAt(i)));
      K.binary('div', a, b, out, 2, 3, bc); close(out, Array.from(a, (v, i) => v / bAt(i)));
    });
  }
  it('binary output may alias a', () => {
    const x = a.slice();
    K.binary('mul', x, f32([2]), x, 2, 3, 'scalar');
    assert.deepEqual(Array.from(x), [2, 4, 6, 8, 10, 12]);
  });
  it('binaryBackward reduces gb to the broadcast shape (hand values)', () => {
    const g = f32([1, 1, 1, 2, 2, 2]);
    const ga = new Float32Array(6), gb = new Float32Array(3);
    K.binaryBackward('mul', a, f32([10, 20, 30]), g, ga, gb, 2, 3, 'row');
    assert.deepEqual(Array.from(ga), [10, 20, 30, 20, 40, 60]);
    assert.deepEqual(Array.from(gb), [1 + 8, 2 + 10, 3 + 12]);
    const gs = new Float32Array(1);
    K.binaryBackward('sub', a, f32([1]), g, null, gs, 2, 3, 'scalar');
    assert.deepEqual(Array.from(gs), [-9]);
  });
  it('unary hand values', () => {
    const x = f32([-2, 0, 0.5, 3]);
    const out = new Float32Array(4);
    K.unary('relu', x, out, 0); assert.deepEqual(Array.from(out), [0, 0, 0.5, 3]);
    K.unary('leaky_relu', x, out, 0.1); close(out, [-0.2, 0, 0.5, 3]);
    K.unary('sigmoid', x, out, 0); close(out, [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-0.5)), 1 / (1 + Math.exp(-3))]);
    K.unary('exp', x, out, 0); close(out, [Math.exp(-2), 1, Math.exp(0.5), Math.exp(3)]);
    K.unary('pow_base', x, out, 0.5); close(out, [4, 1, Math.SQRT1_2, 0.125]);
    K.unary('scale', x, out, -2); assert.deepEqual(Array.from(out), [4, -0, -1, -6]);
    K.unary('add_scalar', x, out, 1.5); assert.deepEqual(Array.from(out), [-0.5, 1.5, 2, 4.5]);
    K.unary('log', f32([1, Math.E, 0.5]), out.subarray(0, 3), 0); close(out.subarray(0, 3), [0, 1, Math.log(0.5)]);
    K.unary('sigmoid', f32([-1000, 1000]), out.subarray(0, 2), 0); assert.deepEqual(Array.from(out.subarray(0, 2)), [0, 1]);
  });
  it("relu'(0) = 0 and leaky_relu'(0) = slope, as PyTorch; pow_base returns dL/dp", () => {
    const x = f32([0, -1, 2]), g = f32([1, 1, 1]), y = new Float32Array(3), gx = new Float32Array(3);
    K.unary('relu', x, y, 0);
    assert.equal(K.unaryBackward('relu', x, y, g, gx, 0), 0);
    assert.deepEqual(Array.from(gx), [0, 0, 1]);
    gx.fill(0); K.unary('leaky_relu', x, y, 0.2); K.unaryBackward('leaky_relu', x, y, g, gx, 0.2);
    close(gx, [0.2, 0.2, 1]);
    // y = 0.5^x at x = [0,-1,2] -> [1, 2, 0.25]; dL/dp = sum g x p^(x-1)
    gx.fill(0); K.unary('pow_base', x, y, 0.5);
    const dp = K.unaryBackward('pow_base', x, y, g, gx, 0.5);
    close(dp, 0 + -1 * 0.5 ** -2 + 2 * 0.5);
    close(gx, [1, 2, 0.25].map((v) => v * Math.log(0.5)));
  });
});

describe('reductions and softmax', () => {
  it('sumAxis both axes and sumSquares', () => {
    const x = f32([1, 2, 3, 4, 5, 6]);
    const c = new Float32Array(3), r = new Float32Array(2);
    K.sumAxis(x, c, 2, 3, 0); assert.deepEqual(Array.from(c), [5, 7, 9]);
    K.sumAxis(x, r, 2, 3, 1); assert.deepEqual(Array.from(r), [6, 15]);
    assert.equal(K.sumSquares(x), 91);
  });
  it('softmax rows sum to 1, log-softmax = log(softmax), stable at large logits', () => {
    const x = f32([1, 2, 3, 1000, 1001, 1002, -5, -5, -5]);
    const p = new Float32Array(9), lp = new Float32Array(9);
    K.softmax(x, p, 3, 3, false);
    K.softmax(x, lp, 3, 3, true);
    const e = [Math.exp(-2), Math.exp(-1), 1].map((v) => v / (Math.exp(-2) + Math.exp(-1) + 1));
    close(p.subarray(0, 3), e); close(p.subarray(3, 6), e); close(p.subarray(6), [1 / 3, 1 / 3, 1 / 3]);
    for (let r = 0; r < 3; r++) close(p[3 * r] + p[3 * r + 1] + p[3 * r + 2], 1);
    close(lp, Array.from(p, Math.log), 1e-6, 1e-5);
  });
  it('softmaxBackward hand value', () => {
    // y = [0.25, 0.75], g = [1, 0]: gx = y*(g - y.g) = [0.25*0.75, -0.75*0.25]
    const gx = f32([1, 1]);
    K.softmaxBackward(f32([0.25, 0.75]), f32([1, 0]), gx, 1, 2, false);
    close(gx, [1 + 0.1875, 1 - 0.1875]);
    const gl = new Float32Array(2); // log: gx = g - softmax*sum(g)
    K.softmaxBackward(f32([Math.log(0.25), Math.log(0.75)]), f32([1, 0]), gl, 1, 2, true);
    close(gl, [0.75, -0.75]);
  });
});

describe('losses', () => {
  const logits = f32([1, 2, 3, 0, 0, 0]); // [2, 3]
  const nll0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3; // target 2
  const nll1 = Math.log(3); // target 0
  it('cross-entropy without weights = mean nll; grad = (softmax - onehot)/rows', () => {
    const grad = new Float32Array(6);
    close(K.crossEntropy(logits, i32([2, 0]), null, grad, 2, 3), (nll0 + nll1) / 2);
    const s = [Math.exp(1), Math.exp(2), Math.exp(3)].map((v) => v / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
    close(grad, [s[0] / 2, s[1] / 2, (s[2] - 1) / 2, (1 / 3 - 1) / 2, 1 / 6, 1 / 6]);
  });
  it('cross-entropy with class weights is normalised by the weights of the targets', () => {
    const grad = new Float32Array(6);
    const w = f32([0.5, 1, 2]);
    close(K.crossEntropy(logits, i32([2, 0]), w, grad, 2, 3), (2 * nll0 + 0.5 * nll1) / 2.5);
    close(grad.subarray(3), [0.5 * (1 / 3 - 1) / 2.5, 0.5 / 3 / 2.5, 0.5 / 3 / 2.5]);
  });
  it('BCE-with-logits hand values, stable at large logits, mask and all-zero mask', () => {
    const x = f32([0, 2, -1, 100, -100]), t = f32([1, 0, 1, 0, 1]);
    const grad = new Float32Array(5);
    const sp = (z: number): number => Math.log1p(Math.exp(z)); // softplus
    const per = [Math.log(2), sp(2), sp(1), 100, 100];
    close(K.bceWithLogits(x, t, null, grad), per.reduce((a, b) => a + b) / 5, 1e-5);
    const sg = (z: number): number => 1 / (1 + Math.exp(-z));
    close(grad, [sg(0) - 1, sg(2), sg(-1) - 1, 1, -1].map((v) => v / 5));
    const mask = new Uint8Array([1, 0, 1, 0, 0]);
    close(K.bceWithLogits(x, t, mask, grad), (per[0] + per[2]) / 2);
    close(grad, [(0.5 - 1) / 2, 0, (sg(-1) - 1) / 2, 0, 0]);
    grad.fill(9);
    assert.equal(K.bceWithLogits(x, t, new Uint8Array(5), grad), 0);
    assert.deepEqual(Array.from(grad), [0, 0, 0, 0, 0]);
  });
  it('L1 = mean |x-y|, grad sign/n with sign(0) = 0', () => {
    const grad = new Float32Array(4);
    close(K.l1(f32([1, 2, 3, 4]), f32([2, 2, 1, 4.5]), grad), (1 + 0 + 2 + 0.5) / 4);
    assert.deepEqual(Array.from(grad), [-0.25, 0, 0.25, -0.25]);
  });
});

describe('gather, scatter, column slices, segments', () => {
  it('gatherRows / scatterAddRows with repeats', () => {
    const x = f32([1, 2, 3, 4, 5, 6]); // [3, 2]
    const out = new Float32Array(6);
    K.gatherRows(x, i32([2, 0, 2]), out, 3, 2);
    assert.deepEqual(Array.from(out), [5, 6, 1, 2, 5, 6]);
    const acc = f32([1, 1, 1, 1, 1, 1]);
    K.scatterAddRows(f32([1, 2, 3, 4, 5, 6]), i32([2, 0, 2]), acc, 3, 2);
    assert.deepEqual(Array.from(acc), [4, 5, 1, 1, 7, 9]);
  });
  it('copyCols / addSliceCols', () => {
    const out = new Float32Array(8); // [2, 4]
    K.copyCols(f32([1, 2, 3, 4]), out, 2, 2, 4, 1);
    assert.deepEqual(Array.from(out), [0, 1, 2, 0, 0, 3, 4, 0]);
    const back = f32([10, 10, 10, 10]);
    K.addSliceCols(f32([0, 1, 2, 0, 0, 3, 4, 0]), back, 2, 4, 2, 1);
    assert.deepEqual(Array.from(back), [11, 12, 13, 14]);
  });
  const x = f32([1, 8, 5, 2, 3, 9, 7, 0]); // [4, 2]
  const ptr = i32([0, 3, 3, 4]); // segments: rows 0-2, empty, row 3
  it('segment sum / mean / max incl. an empty segment', () => {
    const out = new Float32Array(6), am = new Int32Array(6);
    K.segmentReduce('sum', x, ptr, out, 2, null); assert.deepEqual(Array.from(out), [9, 19, 0, 0, 7, 0]);
    K.segmentReduce('mean', x, ptr, out, 2, null); close(out, [3, 19 / 3, 0, 0, 7, 0]);
    K.segmentReduce('max', x, ptr, out, 2, am);
    assert.deepEqual(Array.from(out), [5, 9, 0, 0, 7, 0]);
    assert.deepEqual(Array.from(am), [1, 2, -1, -1, 3, 3]);
  });
  it('segment backward routes to argmax / spreads the mean', () => {
    const g = f32([1, 2, 3, 4, 5, 6]);
    const gx = new Float32Array(8);
    K.segmentReduceBackward('max', g, ptr, gx, 2, i32([1, 2, -1, -1, 3, 3]));
    assert.deepEqual(Array.from(gx), [0, 0, 1, 0, 0, 2, 5, 6]);
    gx.fill(0);
    K.segmentReduceBackward('mean', g, ptr, gx, 2, null);
    close(gx, [1 / 3, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 2 / 3, 5, 6]);
  });
});

describe('batchNorm', () => {
  // x [4, 2]: column 0 = [1, 2, 3, 6] (mean 3, biased var 3.5, unbiased 14/3), column 1 constant 5.
  const x = f32([1, 5, 2, 5, 3, 5, 6, 5]);
  const eps = 1e-5;
  it('training: batch statistics, affine, running stats with unbiased variance', () => {
    const out = new Float32Array(8), sm = new Float32Array(2), si = new Float32Array(2);
    const rm = f32([0, 1]), rv = f32([1, 2]);
    K.batchNorm(x, out, 4, 2, f32([2, 1]), f32([0.5, -1]), rm, rv, true, 0.1, eps, sm, si);
    const is0 = 1 / Math.sqrt(3.5 + eps), is1 = 1 / Math.sqrt(eps);
    close(sm, [3, 5]); close(si, [is0, is1], 0, 1e-5);
    close(out, [(1 - 3) * is0 * 2 + 0.5, -1, (2 - 3) * is0 * 2 + 0.5, -1, 0.5, -1, 3 * is0 * 2 + 0.5, -1]);
    close(rm, [0.9 * 0 + 0.1 * 3, 0.9 * 1 + 0.1 * 5]);
    close(rv, [0.9 * 1 + 0.1 * 14 / 3, 0.9 * 2 + 0]);
  });
  it('training with one row: output = bias, running var becomes NaN (PyTorch)', () => {
    const out = new Float32Array(2), sm = new Float32Array(2), si = new Float32Array(2);
    const rm = f32([0, 0]), rv = f32([1, 1]);
    K.batchNorm(f32([4, -2]), out, 1, 2, null, f32([0.25, 0.5]), rm, rv, true, 0.1, eps, sm, si);
    assert.deepEqual(Array.from(out), [0.25, 0.5]);
    close(rm, [0.4, -0.2]);
    assert.ok(Number.isNaN(rv[0]) && Number.isNaN(rv[1]), `running var ${rv}`);
  });
  it('eval: running statistics, no update', () => {
    const out = new Float32Array(8), sm = new Float32Array(2), si = new Float32Array(2);
    const rm = f32([2, 4]), rv = f32([4, 1]);
    K.batchNorm(x, out, 4, 2, null, null, rm, rv, false, 0.1, 0, sm, si);
    close(out, [-0.5, 1, 0, 1, 0.5, 1, 2, 1]);
    assert.deepEqual([Array.from(rm), Array.from(rv)], [[2, 4], [4, 1]]);
  });
  it('backward hand values: gw = sum g*xhat, gb = sum g; eval gx = g*w*invstd', () => {
    const g = f32([1, 0, 1, 0, 1, 0, 1, 0]);
    const sm = f32([3, 5]), si = f32([0.5, 1]);
    const gx = new Float32Array(8), gw = new Float32Array(2), gb = new Float32Array(2);
    K.batchNormBackward(x, g, 4, 2, f32([3, 1]), sm, si, false, gx, gw, gb);
    assert.deepEqual(Array.from(gx), [1.5, 0, 1.5, 0, 1.5, 0, 1.5, 0]);
    assert.deepEqual(Array.from(gw), [(-2 - 1 + 0 + 3) * 0.5, 0]);
    assert.deepEqual(Array.from(gb), [4, 0]);
    // training with a constant upstream: the batch mean absorbs it, gx = 0.
    gx.fill(0);
    K.batchNormBackward(x, g, 4, 2, f32([3, 1]), sm, si, true, gx, null, null);
    close(gx, new Array(8).fill(0));
  });
});

describe('attention', () => {
  /** Naive dense attention per graph, in double, straight from the doc formula. */
  function naive(q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array, ptr: number[], H: number, dk: number,
    scale: number, drop: Float32Array | null): { out: number[]; probs: number[] } {
    const N = ptr[ptr.length - 1];
    const out = new Array<number>(N * H * dk).fill(0), probs: number[] = [];
    const at = (t: Float32Array, node: number, h: number, d: number): number => t[(node * H + h) * dk + d];
    let blk = 0;
    for (let b = 0; b + 1 < ptr.length; b++) {
      const s0 = ptr[b], n = ptr[b + 1] - s0;
      for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) {
        const s: number[] = [];
        for (let j = 0; j < n; j++) {
          let d = 0;
          for (let t = 0; t < dk; t++) d += at(q, s0 + i, h, t) * at(k, s0 + j, h, t);
          s.push(d * scale * mask[blk + h * n * n + i * n + j]);
        }
        const mx = Math.max(...s);
        const e = s.map((z) => Math.exp(z - mx));
        const den = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j < n; j++) {
          const p = e[j] / den;
          probs.push(p);
          const w = p * (drop ? drop[blk + h * n * n + i * n + j] : 1);
          for (let t = 0; t < dk; t++) out[((s0 + i) * H + h) * dk + t] += w * at(v, s0 + j, h, t);
        }
      }
      blk += H * n * n;
    }
    return { out, probs };
  }
  const rng = new Rng(5);
  const ptr = [0, 3, 4, 4, 8, 10]; // graphs of 3, 1, 0, 4, 2 nodes
  const H = 2, dk = 4, N = 10, sumSq = 9 + 1 + 0 + 16 + 4;
  for (const withDrop of [false, true]) {
    it(`matches a naive per-graph dense implementation (drop=${withDrop})`, () => {
      const q = rng.f32(N * H * dk, -2, 2), k = rng.f32(N * H * dk, -2, 2), v = rng.f32(N * H * dk);
      const mask = rng.f32(H * sumSq, 0, 1.5);
      const drop = withDrop ? new Float32Array(H * sumSq).map(() => (rng.next() < 0.5 ? 0 : 2)) : null;
      const out = new Float32Array(N * H * dk).fill(99), probs = new Float32Array(H * sumSq);
      K.attentionForward(q, k, v, mask, i32(ptr), H, dk, 0.5, drop, out, probs);
      const ref = naive(q, k, v, mask, ptr, H, dk, 0.5, drop);
      close(probs, ref.probs, 1e-6, 1e-5, 'probs');
      close(out, ref.out, 1e-6, 1e-5, 'out');
      // 1-node graph (node 3): P = 1, out = drop * v.
      for (let h = 0; h < H; h++) {
        close(probs[2 * 9 + h], 1);
        const f = drop ? drop[2 * 9 + h] : 1;
        close(out.subarray((3 * H + h) * dk, (3 * H + h + 1) * dk), Array.from(v.subarray((3 * H + h) * dk, (3 * H + h + 1) * dk), (z) => z * f));
      }
    });
  }
});

describe('optimisers (torch.optim formulas)', () => {
  const lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  /** One PyTorch Adam(W) step on a scalar, written out from the torch.optim source. */
  function adamRef(st: { p: number; m: number; v: number }, g: number, step: number, wd: number, decoupled: boolean): void {
    if (decoupled) st.p *= 1 - lr * wd; else g += wd * st.p;
    st.m = b1 * st.m + (1 - b1) * g;
    st.v = b2 * st.v + (1 - b2) * g * g;
    const denom = Math.sqrt(st.v) / Math.sqrt(1 - b2 ** step) + eps;
    st.p -= (lr / (1 - b1 ** step)) * st.m / denom;
  }
  it('Adam step 1 moves each parameter by lr against the gradient sign (hand value)', () => {
    const p = f32([1, -2]), m = new Float32Array(2), v = new Float32Array(2);
    K.adamStep(p, f32([0.5, -3]), m, v, lr, b1, b2, eps, 0, 1, false);
    // m = 0.1 g, v = 0.001 g^2, mhat = g, sqrt(vhat) = |g|: p -= lr * g/(|g| + eps)
    close(p, [0.9, -1.9]); close(m, [0.05, -0.3]); close(v, [0.00025, 0.009]);
  });
  for (const [wd, decoupled] of [[0, false], [0.1, false], [0.1, true]] as [number, boolean][]) {
    it(`${decoupled ? 'AdamW' : 'Adam'} wd=${wd}: two steps match the torch formula`, () => {
      const p = f32([1, -2, 0.3]), m = new Float32Array(3), v = new Float32Array(3);
      const refs = Array.from(p, (x) => ({ p: x, m: 0, v: 0 }));
      const gs = [f32([0.5, -3, 0.01]), f32([-0.2, -1, 0.02])];
      gs.forEach((g, s) => {
        K.adamStep(p, g, m, v, lr, b1, b2, eps, wd, s + 1, decoupled);
        refs.forEach((r, i) => adamRef(r, g[i], s + 1, wd, decoupled));
        close(p, refs.map((r) => r.p), 1e-6, 1e-5, `p step ${s + 1}`);
        close(m, refs.map((r) => r.m), 1e-7, 1e-5, `m step ${s + 1}`);
        close(v, refs.map((r) => r.v), 1e-9, 1e-5, `v step ${s + 1}`);
      });
    });
  }
  it('AdamW decay hand value: p=1, g=0, wd=0.5 -> p = 1 - lr*wd', () => {
    const p = f32([1]);
    K.adamStep(p, f32([0]), new Float32Array(1), new Float32Array(1), lr, b1, b2, eps, 0.5, 1, true);
    close(p, [0.95]);
  });
  it('SGD plain, with weight decay, momentum (two steps), dampening and nesterov', () => {
    const p = f32([1, -1]);
    K.sgdStep(p, f32([0.5, 1]), null, 0.1, 0, 0, 0, false, true);
    close(p, [0.95, -1.1]);
    const q = f32([1]);
    K.sgdStep(q, f32([0.5]), null, 0.1, 0, 0, 0.2, false, true); // g' = 0.5 + 0.2
    close(q, [0.93]);
    // momentum 0.9, dampening 0.5: buf1 = g1 = 1, p = 1 - 0.1; buf2 = 0.9*1 + 0.5*2 = 1.9, p -= 0.19
    const r = f32([1]), buf = new Float32Array(1);
    K.sgdStep(r, f32([1]), buf, 0.1, 0.9, 0.5, 0, false, true); close([r[0], buf[0]], [0.9, 1]);
    K.sgdStep(r, f32([2]), buf, 0.1, 0.9, 0.5, 0, false, false); close([r[0], buf[0]], [0.71, 1.9]);
    // nesterov: step 1 d = g + 0.9*buf = 1.9; step 2 buf = 0.9 + 2 = 2.9, d = 2 + 0.9*2.9 = 4.61
    const s = f32([1]), nb = new Float32Array(1);
    K.sgdStep(s, f32([1]), nb, 0.1, 0.9, 0, 0, true, true); close(s, [0.81]);
    K.sgdStep(s, f32([2]), nb, 0.1, 0.9, 0, 0, true, false); close([s[0], nb[0]], [0.81 - 0.461, 2.9]);
  });
});

describe('bad inputs throw before computing, naming the kernel and the shapes', () => {
  const z = (n: number): Float32Array => new Float32Array(n);
  it('wrong lengths', () => {
    assert.throws(() => K.matmul(z(10), z(12), z(9), 3, 4, 3, false, false, false),
      { message: 'matmul: a has 10 elements, expected m*k = 12 (m=3, k=4, n=3)' });
    assert.throws(() => K.matmul(z(12), z(11), z(9), 3, 4, 3, false, true, false),
      { message: 'matmul: b (transposed) has 11 elements, expected n*k = 12 (m=3, k=4, n=3)' });
    assert.throws(() => K.matmul(z(12), z(12), z(8), 3, 4, 3, false, true, false),
      { message: 'matmul: c has 8 elements, expected m*n = 9 (m=3, k=4, n=3)' });
    assert.throws(() => K.binary('add', z(6), z(2), z(6), 2, 3, 'row'),
      { message: "binary: b (broadcast 'row') has 2 elements, expected cols = 3 (rows=2, cols=3)" });
    assert.throws(() => K.softmaxBackward(z(6), z(6), z(5), 2, 3, false),
      { message: 'softmaxBackward: gx has 5 elements, expected rows*cols = 6 (rows=2, cols=3)' });
    assert.throws(() => K.unary('exp', z(3), z(4), 0), /^Error: unary: out has 4 elements, expected x.length = 3 \(n=3\)/);
    assert.throws(() => K.batchNorm(z(6), z(6), 2, 3, z(2), null, null, null, true, 0.1, 1e-5, z(3), z(3)),
      { message: 'batchNorm: weight has 2 elements, expected cols = 3 (rows=2, cols=3)' });
    assert.throws(() => K.attentionForward(z(8), z(8), z(8), z(9), i32([0, 2, 4]), 1, 2, 1, null, z(8), z(8)),
      { message: 'attentionForward: mask has 9 elements, expected H*sum(n_b^2) = 8 (H=1, sumNb2=8, B=2)' });
    assert.throws(() => K.adamStep(z(3), z(3), z(2), z(3), 0.1, 0.9, 0.999, 1e-8, 0, 1, false),
      { message: 'adamStep: m has 2 elements, expected n = 3 (n=3)' });
  });
  it('bad sizes, names and types', () => {
    assert.throws(() => K.matmul(z(0), z(0), z(0), -1, 0, 0, false, false, false), { message: 'matmul: m must be a non-negative integer, got -1' });
    assert.throws(() => K.sumAxis(z(6), z(2), 2.5, 3, 1), { message: 'sumAxis: rows must be a non-negative integer, got 2.5' });
    assert.throws(() => K.binary('pow' as 'add', z(1), z(1), z(1), 1, 1, 'full'), { message: "binary: unknown op 'pow', expected one of add, sub, mul, div" });
    assert.throws(() => K.binary('add', z(1), z(1), z(1), 1, 1, 'rows' as Broadcast), { message: "binary: unknown broadcast 'rows', expected one of full, row, col, scalar" });
    assert.throws(() => K.unary('tanh' as 'exp', z(1), z(1), 0), /^Error: unary: unknown op 'tanh'/);
    assert.throws(() => K.gatherRows(new Float64Array(4) as unknown as Float32Array, i32([0]), z(2), 2, 2),
      { message: 'gatherRows: x must be a Float32Array, got Float64Array' });
    assert.throws(() => K.batchNorm(z(2), z(2), 1, 2, null, null, null, null, false, 0.1, 1e-5, z(2), z(2)),
      /^Error: batchNorm: eval mode needs runningMean and runningVar \(rows=1, cols=2\)/);
    assert.throws(() => K.sgdStep(z(2), z(2), null, 0.1, 0.9, 0, 0, false, true), /^Error: sgdStep: momentum 0.9 needs a momentum buffer/);
    assert.throws(() => K.adamStep(z(2), z(2), z(2), z(2), 0.1, 0.9, 0.999, 1e-8, 0, 0, false), /^Error: adamStep: step must be an integer >= 1/);
  });
  it('out-of-range indices, and nothing is written', () => {
    const out = z(6).fill(3);
    assert.throws(() => K.gatherRows(f32([1, 2, 3, 4]), i32([0, 1, 2]), out, 2, 2),
      { message: 'gatherRows: idx[2] = 2 is out of range [0, xRows) (xRows=2, idx has 3 elements)' });
    assert.deepEqual(Array.from(out), [3, 3, 3, 3, 3, 3]);
    assert.throws(() => K.scatterAddRows(z(4), i32([-1, 0]), z(4), 2, 2), /^Error: scatterAddRows: idx\[0\] = -1 is out of range \[0, outRows\)/);
    const grad = z(4).fill(3);
    assert.throws(() => K.crossEntropy(z(4), i32([0, 2]), null, grad, 2, 2),
      { message: 'crossEntropy: target[1] = 2 is out of range [0, cols) (cols=2, target has 2 elements)' });
    assert.deepEqual(Array.from(grad), [3, 3, 3, 3]);
    assert.throws(() => K.segmentReduceBackward('max', z(2), i32([0, 2]), z(4), 2, i32([0, 2])),
      /^Error: segmentReduceBackward: argmax\[1\] = 2 is outside segment 0 rows \[0, 2\)/);
    assert.throws(() => K.copyCols(z(4), z(6), 2, 2, 3, 2), { message: 'copyCols: slice off+srcCols = 4 exceeds outCols (rows=2, srcCols=2, outCols=3, off=2)' });
  });
  it('malformed ptr arrays', () => {
    assert.throws(() => K.segmentReduce('sum', z(6), i32([0, 2, 1, 3]), z(6), 2, null),
      { message: 'segmentReduce: ptr is not non-decreasing: ptr[1] = 2 > ptr[2] = 1 (ptr has 4 elements)' });
    assert.throws(() => K.segmentReduce('sum', z(6), i32([1, 3]), z(2), 2, null), { message: 'segmentReduce: ptr[0] = 1, expected 0 (ptr has 2 elements)' });
    assert.throws(() => K.segmentReduce('mean', z(6), i32([0, 2]), z(2), 2, null),
      { message: 'segmentReduce: x has 6 elements, expected ptr[S]*cols = 4 (S=1, ptr[S]=2, cols=2)' });
    const q = z(8);
    assert.throws(() => K.attentionForward(q, q, q, z(8), i32([0, 3, 2]), 1, 2, 1, null, z(8), z(8)),
      { message: 'attentionForward: graphPtr is not non-decreasing: graphPtr[1] = 3 > graphPtr[2] = 2 (graphPtr has 3 elements)' });
    assert.throws(() => K.attentionBackward(q, q, q, z(8), i32([0, 2, 3]), 1, 2, 1, null, z(5), q, null, null, null, null),
      { message: 'attentionBackward: q has 8 elements, expected N*H*dk = 6 (N=3, H=1, dk=2, B=2)' });
  });
});
