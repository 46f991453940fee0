// The agreement suite every compiled kernel backend passes against the TypeScript
// reference (kernels_ts.ts): random inputs and the edge cases of each kernel,
// forward and backward, and thread-count independence. Registered by
// test/kernels_native.test.ts (the Node-API addon) and test/kernels_wasm.test.ts
// (the WebAssembly build of the same C). Tolerances: see kernels_native.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kernels } from '../../src/tensor/kernels.js';
import { tsKernels } from '../../src/tensor/kernels_ts.js';
import { Rng } from './rng.js';
import { fmaF32, mulAddF32 } from './fma_f32.js';

const U = 2 ** -24;            // float32 unit roundoff
const REL_EXACT = 2.5 * U * 2; // last-bit differences only (double on both sides, one rounding each)
const REL_ATT = 1e-5;
// ---------------------------------------------------------------- helpers
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Element-wise |got - want| <= tol(i) (NaN must match NaN). */
function closeBy(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): void {
  assert.equal(got.length, want.length, `${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(w) && Number.isNaN(g), `${what}[${i}]: native ${g}, ts ${w}`);
      continue;
    }
    if (g === w) continue;
    const t = tol(i);
    assert.ok(Math.abs(g - w) <= t, `${what}[${i}]: native ${g}, ts ${w}, |diff| ${Math.abs(g - w)} > tol ${t}`);
  }
}
/** |got - want| <= rel * |want| + rel * floorFrac * max|want| */
function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rel = REL_EXACT, floorFrac = 0): void {
  const floor = rel * floorFrac * maxAbs(want);
  closeBy(what, got, want, (i) => rel * Math.abs(want[i]) + floor + Number.MIN_VALUE);
}
function closeNum(what: string, got: number, want: number, rel: number): void {
  close(what, [got], [want], rel);
}
function sameBits(what: string, a: Float32Array | Int32Array, b: Float32Array | Int32Array,
  labels: [string, string] = ['1 thread', '2 threads']): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    if (!(Object.is(a[i], b[i]))) assert.fail(`${what}[${i}]: ${a[i]} (${labels[0]}) vs ${b[i]} (${labels[1]})`);
  }
}
const abs = (a: Float32Array) => a.map(Math.abs);
const copy = (a: Float32Array) => new Float32Array(a);

/**
 * Runs f with the native backend on 1 thread and on 2 threads, and returns both results, after
 * checking that 3 and 7 threads give the 2-thread result bit for bit (uneven splits, and more
 * threads than work: the kernels that give threads ranges of rows, columns or edges).
 */
function withThreads<T>(K: Kernels, f: () => T): [T, T] {
  const before = K.getThreads();
  try {
    K.setThreads(1); const one = f();
    K.setThreads(2); const two = f();
    for (const n of [3, 7]) {
      K.setThreads(n);
      const more = f();
      if (typeof more === 'number') assert.ok(Object.is(more, two), `${n} threads: ${more} vs ${two} (2 threads)`);
      else sameBits(`${n} threads`, more as unknown as Float32Array, two as unknown as Float32Array, [`${n} threads`, '2 threads']);
    }
    return [one, two];
  } finally { K.setThreads(before); }
}

function randomPtr(rng: Rng, sizes: number[]): Int32Array {
  const p = new Int32Array(sizes.length + 1);
  for (let i = 0; i < sizes.length; i++) p[i + 1] = p[i] + sizes[i];
  return p;
}

interface AttCase { sizes: number[]; H: number; dk: number; drop: boolean; seed: number }
function attInputs(c: AttCase) {
  const rng = new Rng(c.seed);
  const ptr = randomPtr(rng, c.sizes);
  const Nn = ptr[ptr.length - 1];
  const sq = c.sizes.reduce((s, n) => s + n * n, 0);
  const nd = Nn * c.H * c.dk, nm = c.H * sq;
  // Decay-like mask in (0, 1]; dropout factors 0 or 1/(1-0.2).
  const mask = rng.f32(nm, 0.05, 1);
  const drop = c.drop ? Float32Array.from({ length: nm }, () => (rng.next() < 0.2 ? 0 : 1.25)) : null;
  return {
    q: rng.f32(nd), k: rng.f32(nd), v: rng.f32(nd), gOut: rng.f32(nd), mask, drop, ptr, nd, nm,
    scale: 1 / Math.sqrt(Math.max(c.dk, 1)),
  };
}

function attentionBoth(K: Kernels, c: AttCase) {
  const I = attInputs(c);
  const out = new Float32Array(I.nd), probs = new Float32Array(I.nm);
  K.attentionForward(I.q, I.k, I.v, I.mask, I.ptr, c.H, c.dk, I.scale, I.drop, out, probs);
  const gq = new Float32Array(I.nd).fill(0.25), gk = new Float32Array(I.nd).fill(-0.5);
  const gv = new Float32Array(I.nd), gm = new Float32Array(I.nm).fill(1);
  // The backward gets the same (TS) probs on both sides so only the backward is compared.
  return { I, out, probs, gq, gk, gv, gm };
}

/** The kernel surface without its name (a backend, or a raw addon that skips the TS checks). */
export type KernelCalls = Pick<Kernels, Exclude<keyof Kernels, 'name'>>;

/**
 * Registers the suite for backend K (labelled by K.name); `rejecters` are the
 * objects whose bad-input rejection the decay-mask case also checks (K, plus
 * e.g. the raw native addon).
 */
export function registerAgreementTests(K: Kernels, rejecters: KernelCalls[] = [K]): void {
  const T = tsKernels;

  describe(`${K.name} vs ts: matmul`, () => {
    // Per element: |err| <= (k+2) u sum_p |a_ip b_pj| + u |c_old|  (float32 FMA chain vs double sum)
    function check(m: number, k: number, n: number, tA: boolean, tB: boolean, acc: boolean, seed: number) {
      const rng = new Rng(seed);
      const a = rng.f32(m * k), b = rng.f32(k * n), c0 = rng.f32(m * n);
      const cn = copy(c0), ct = copy(c0);
      K.matmul(a, b, cn, m, k, n, tA, tB, acc);
      T.matmul(a, b, ct, m, k, n, tA, tB, acc);
      const bound = new Float32Array(m * n);
      T.matmul(abs(a), abs(b), bound, m, k, n, tA, tB, false);
      closeBy(`matmul m=${m} k=${k} n=${n} tA=${tA} tB=${tB} acc=${acc}`, cn, ct,
        (i) => (k + 2) * U * bound[i] + (acc ? 2 * U * Math.abs(c0[i]) : 0) + 1e-30);
    }
    it('all transpose variants, ragged sizes, accumulate', () => {
      let seed = 1;
      const shapes: [number, number, number][] = [
        [1, 1, 1], [7, 5, 3], [13, 64, 64], [37, 17, 70], [6, 128, 33], [100, 64, 128], [5, 300, 17], [64, 1, 64],
      ];
      for (const [m, k, n] of shapes) {
        for (const tA of [false, true]) for (const tB of [false, true]) for (const acc of [false, true]) {
          check(m, k, n, tA, tB, acc, seed++);
        }
      }
    });
    it('tall-and-thin shapes of the model (forward, A^T B, A B^T)', () => {
      check(3840, 64, 64, false, false, false, 101);
      check(64, 3840, 64, true, false, false, 102);  // weight grad: X^T G
      check(3840, 64, 64, false, true, false, 103);  // input grad: G W^T
      check(300, 200, 48, false, false, true, 104);
    });
    it('k-sliced order (A^T B, small C, any row stride of B): each element keeps one FMA chain, the bits of 50-row pieces accumulated', () => {
      // The sliced order walks k in slices whose size depends on B's row stride (fewer
      // rows when n > 64); pieces of 50 rows (k <= 128: each runs whole) continue every
      // element's chain from C as a slice does, so any slicing must give their bits.
      let seed = 700;
      for (const [m, k, n] of [[64, 752, 64], [64, 752, 128], [128, 752, 64], [28, 752, 20], [13, 300, 70], [6, 129, 200], [16, 500, 256], [8, 260, 1000]]) {
        for (const acc of [false, true]) {
          const rng = new Rng(seed++);
          const a = rng.f32(k * m), b = rng.f32(k * n), c0 = rng.f32(m * n);
          const [whole, whole2] = withThreads(K, () => { const c = copy(c0); K.matmul(a, b, c, m, k, n, true, false, acc); return c; });
          const pieces = copy(c0);
          for (let q0 = 0; q0 < k; q0 += 50) {
            const q1 = Math.min(k, q0 + 50);
            K.matmul(a.subarray(q0 * m, q1 * m), b.subarray(q0 * n, q1 * n), pieces, m, q1 - q0, n, true, false, acc || q0 > 0);
          }
          sameBits(`A^T B m=${m} k=${k} n=${n} acc=${acc}: one call (1 thread) vs 50-row pieces`, whole, pieces);
          sameBits(`A^T B m=${m} k=${k} n=${n} acc=${acc}: 1 vs 2 threads`, whole, whole2);
        }
      }
    });
    it('zero sizes: m, n or k = 0', () => {
      for (const [m, k, n] of [[0, 4, 5], [3, 0, 5], [3, 4, 0], [0, 0, 0]]) {
        for (const acc of [false, true]) {
          const c0 = new Rng(9).f32(m * n);
          const cn = copy(c0), ct = copy(c0);
          K.matmul(new Float32Array(m * k), new Float32Array(k * n), cn, m, k, n, false, false, acc);
          T.matmul(new Float32Array(m * k), new Float32Array(k * n), ct, m, k, n, false, false, acc);
          assert.deepEqual(cn, ct, `m=${m} k=${k} n=${n} acc=${acc}`);
        }
      }
    });
    it('bias: the exact bits of matmul then a row add, on both backends; every tile path', () => {
      // Ragged n (scratch tile + padded bias), 64-wide and 16-wide tiles, the k-sliced
      // order (k > 128, small C: bias only after the last slice), k = 0, accumulate.
      const shapes: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [13, 64, 64], [37, 17, 70], [100, 64, 128],
        [5, 300, 17], [64, 200, 64], [3840, 64, 64], [9, 0, 20], [0, 4, 5]];
      let seed = 500;
      for (const [m, k, n] of shapes) {
        for (const tB of [false, true]) for (const acc of [false, true]) {
          const rng = new Rng(seed++);
          const a = rng.f32(m * k), b = rng.f32(k * n), c0 = rng.f32(m * n), bias = rng.f32(n);
          for (const B of [K, T]) {
            const fused = copy(c0), twoPass = copy(c0);
            B.matmul(a, b, fused, m, k, n, false, tB, acc, bias);
            B.matmul(a, b, twoPass, m, k, n, false, tB, acc);
            B.binary('add', twoPass, bias, twoPass, m, n, 'row');
            sameBits(`${B.name} matmul+bias m=${m} k=${k} n=${n} tB=${tB} acc=${acc}`, fused, twoPass);
          }
        }
      }
      const a = new Rng(3).f32(3840 * 64), b = new Rng(4).f32(64 * 64), bias = new Rng(5).f32(64);
      const [c1, c2] = withThreads(K, () => { const c = new Float32Array(3840 * 64); K.matmul(a, b, c, 3840, 64, 64, false, true, false, bias); return c; });
      sameBits('matmul+bias 1 vs 2 threads', c1, c2);
    });
    it('residual: the exact bits of matmul (+ bias) then a full add (then relu), on both backends; every tile path', () => {
      const shapes: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [13, 64, 64], [37, 17, 70], [100, 64, 128],
        [5, 300, 17], [64, 200, 64], [3840, 64, 64], [9, 0, 20], [0, 4, 5]];
      let seed = 900;
      for (const [m, k, n] of shapes) {
        for (const tB of [false, true]) for (const acc of [false, true]) for (const relu of [false, true]) {
          const rng = new Rng(seed++);
          const a = rng.f32(m * k), b = rng.f32(k * n), c0 = rng.f32(m * n), bias = relu ? null : rng.f32(n), res = rng.f32(m * n);
          for (const B of [K, T]) {
            const fused = copy(c0), chain = copy(c0);
            B.matmul(a, b, fused, m, k, n, false, tB, acc, bias, relu, res);
            B.matmul(a, b, chain, m, k, n, false, tB, acc, bias);
            B.binary('add', chain, res, chain, m, n, 'full');
            if (relu) B.unary('relu', chain, chain, 0);
            sameBits(`${B.name} matmul+residual m=${m} k=${k} n=${n} tB=${tB} acc=${acc} relu=${relu}`, fused, chain);
          }
        }
      }
    });
    it('reluBackwardBias: the exact bits of relu\'s backward into zeros then the bias\'s row sums; NaN, inf, -0, 1 and 2 threads', () => {
      let seed = 1800;
      for (const [rows, cols] of [[0, 5], [1, 1], [3, 7], [742, 64], [742, 128], [300, 300], [4000, 17]]) {
        const r = new Rng(seed++);
        const y = r.f32(rows * cols, -1, 1), g = r.f32(rows * cols, -2, 2), gb0 = r.f32(cols);
        // NaN and -0 in y and g, exact zeros in y (relu's output), -0 and NaN in the bias gradient.
        for (let i = 0; i < y.length; i += 23) y[i] = [0, -0, NaN, Infinity, 1e-40][(i / 23) % 5];
        for (let i = 5; i < g.length; i += 31) g[i] = [-0, NaN, -Infinity, 1e30, -1e-40][((i - 5) / 31) % 5];
        if (cols > 2) { gb0[0] = -0; gb0[1] = NaN; }
        for (const B of [K, T]) {
          for (const withBias of [true, false]) {
            const run = (fused: boolean) => {
              const gz = fused ? r.f32(rows * cols) : new Float32Array(rows * cols), gb = copy(gb0); // fused: gz is written, not added to
              if (fused) B.reluBackwardBias(y, g, gz, rows, cols, withBias ? gb : null);
              else {
                B.unaryBackward('relu', y, y, g, gz, 0);
                if (withBias) B.binaryBackward('add', gz, gb, gz, null, gb, rows, cols, 'row');
              }
              return Float32Array.from([...gz, ...gb]);
            };
            const tag = `${B.name} reluBackwardBias ${rows}x${cols} bias=${withBias}`;
            sameBits(tag, run(true), run(false));
            if (B === K && rows * cols > 10000) {
              const [one, two] = withThreads(K, () => run(true));
              sameBits(`${tag} threads`, one, two);
            }
          }
        }
      }
    });
    it('relu: the exact bits of matmul (+ bias) then unary relu, on both backends; every tile path, NaN, -0', () => {
      // Same shapes as the bias test (the k-sliced order takes the relu after the last
      // slice only). NaN inputs must stay NaN and -0 (k = 0 accumulating onto -0) become +0.
      const shapes: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [13, 64, 64], [37, 17, 70], [100, 64, 128],
        [5, 300, 17], [64, 200, 64], [3840, 64, 64], [9, 0, 20], [0, 4, 5]];
      let seed = 700;
      for (const [m, k, n] of shapes) {
        for (const tB of [false, true]) for (const acc of [false, true]) for (const withBias of [false, true]) {
          const rng = new Rng(seed++);
          const a = rng.f32(m * k), b = rng.f32(k * n), c0 = rng.f32(m * n), bias = withBias ? rng.f32(n) : null;
          if (m * k > 0) a[0] = NaN;
          if (m * n > 1) c0[1] = -0;
          for (const B of [K, T]) {
            const fused = copy(c0), twoPass = copy(c0);
            B.matmul(a, b, fused, m, k, n, false, tB, acc, bias, true);
            B.matmul(a, b, twoPass, m, k, n, false, tB, acc, bias);
            B.unary('relu', twoPass, twoPass, 0);
            sameBits(`${B.name} matmul+relu m=${m} k=${k} n=${n} tB=${tB} acc=${acc} bias=${withBias}`, fused, twoPass);
            if (m * n > 1 && k === 0 && acc && !withBias) assert.ok(Object.is(fused[1], 0), `${B.name}: relu(-0) must store +0`);
          }
        }
      }
    });
    it('1 and 2 threads give identical bits', () => {
      for (const [m, k, n, tA, tB] of [[3840, 64, 64, false, false], [64, 3840, 128, true, false],
        [3840, 128, 64, false, true], [1000, 37, 21, true, true]] as [number, number, number, boolean, boolean][]) {
        const rng = new Rng(m + n);
        const a = rng.f32(m * k), b = rng.f32(k * n);
        const [c1, c2] = withThreads(K, () => { const c = new Float32Array(m * n); K.matmul(a, b, c, m, k, n, tA, tB, false); return c; });
        sameBits(`matmul ${m}x${k}x${n} tA=${tA} tB=${tB}`, c1, c2);
      }
    });
  });

  describe(`${K.name} vs ts: element-wise`, () => {
    const rng = new Rng(7);
    it('binary and binaryBackward, every op and broadcast', () => {
      for (const [rows, cols] of [[0, 5], [1, 1], [13, 7], [300, 64]]) {
        for (const op of ['add', 'sub', 'mul', 'div'] as const) {
          for (const bc of ['full', 'row', 'col', 'scalar'] as const) {
            const nb = bc === 'full' ? rows * cols : bc === 'row' ? cols : bc === 'col' ? rows : 1;
            const a = rng.f32(rows * cols), b = rng.f32AwayFromZero(nb, 0.5, 2), g = rng.f32(rows * cols);
            const on = new Float32Array(rows * cols), ot = new Float32Array(rows * cols);
            K.binary(op, a, b, on, rows, cols, bc);
            T.binary(op, a, b, ot, rows, cols, bc);
            close(`binary ${op} ${bc} ${rows}x${cols}`, on, ot);
            const gan = rng.f32(rows * cols), gbn = rng.f32(nb);
            const gat = copy(gan), gbt = copy(gbn);
            K.binaryBackward(op, a, b, g, gan, gbn, rows, cols, bc);
            T.binaryBackward(op, a, b, g, gat, gbt, rows, cols, bc);
            close(`binaryBackward ga ${op} ${bc}`, gan, gat);
            close(`binaryBackward gb ${op} ${bc}`, gbn, gbt);
            K.binaryBackward(op, a, b, g, null, null, rows, cols, bc); // nulls accepted
          }
        }
      }
    });
    it('binary out may alias a', () => {
      const a = rng.f32(40), b = rng.f32(8), want = new Float32Array(40);
      T.binary('mul', a, b, want, 5, 8, 'row');
      K.binary('mul', a, b, a, 5, 8, 'row');
      close('binary aliased', a, want);
    });
    it('unary and unaryBackward, every op', () => {
      for (const op of ['relu', 'leaky_relu', 'sigmoid', 'exp', 'log', 'pow_base', 'scale', 'add_scalar'] as const) {
        for (const n of [0, 1, 1000, 70000]) {
          const x = op === 'log' ? rng.f32(n, 0.01, 3) : rng.f32(n, -4, 4);
          if (n > 2 && op !== 'log') { x[0] = 0; x[1] = NaN; }
          const p = op === 'pow_base' ? 0.6 : op === 'leaky_relu' ? 0.01 : 1.7;
          const yn = new Float32Array(n), yt = new Float32Array(n);
          K.unary(op, x, yn, p);
          T.unary(op, x, yt, p);
          close(`unary ${op} n=${n}`, yn, yt);
          const g = rng.f32(n), gxn = rng.f32(n), gxt = copy(gxn);
          const rn = K.unaryBackward(op, x, yt, g, gxn, p), rt = T.unaryBackward(op, x, yt, g, gxt, p);
          close(`unaryBackward ${op} n=${n}`, gxn, gxt);
          if (op === 'pow_base' && n > 2) {
            closeNum('unaryBackward dp', rn, rt, 1e-12);
          } else {
            assert.ok(Object.is(rn, rt) || (Number.isNaN(rn) && Number.isNaN(rt)), `unaryBackward ${op} return ${rn} vs ${rt}`);
          }
          K.unaryBackward(op, x, yt, g, null, p);
        }
      }
    });
  });

  describe(`${K.name} vs ts: reductions, softmax, losses`, () => {
    const rng = new Rng(11);
    it('sumAxis both axes, sumSquares', () => {
      for (const [rows, cols] of [[0, 3], [3, 0], [1, 1], [17, 9], [3840, 64]]) {
        const x = rng.f32(rows * cols);
        for (const axis of [0, 1] as const) {
          const len = axis === 0 ? cols : rows;
          const on = new Float32Array(len), ot = new Float32Array(len);
          K.sumAxis(x, on, rows, cols, axis);
          T.sumAxis(x, ot, rows, cols, axis);
          // double sums in a different order: a few ulp of the absolute sum
          const bound = new Float32Array(len);
          T.sumAxis(abs(x), bound, rows, cols, axis);
          closeBy(`sumAxis ${rows}x${cols} axis ${axis}`, on, ot, (i) => 2 * U * Math.abs(ot[i]) + 1e-12 * bound[i] + 1e-30);
        }
      }
      for (const n of [0, 5, 200000]) {
        const x = rng.f32(n);
        closeNum(`sumSquares n=${n}`, K.sumSquares(x), T.sumSquares(x), 1e-12);
      }
      const x = rng.f32(300000);
      const [s1, s2] = withThreads(K, () => K.sumSquares(x));
      assert.equal(s1, s2, 'sumSquares 1 vs 2 threads');
    });
    it('softmax / log-softmax and their backward', () => {
      for (const [rows, cols] of [[0, 4], [1, 1], [9, 10], [200, 3]]) {
        for (const log of [false, true]) {
          const x = rng.f32(rows * cols, -5, 5);
          if (rows === 9) for (let c = 0; c < cols; c++) x[c] = -Infinity; // all -inf row: NaN like PyTorch
          const yn = new Float32Array(rows * cols), yt = new Float32Array(rows * cols);
          K.softmax(x, yn, rows, cols, log);
          T.softmax(x, yt, rows, cols, log);
          close(`softmax log=${log} ${rows}x${cols}`, yn, yt);
          const y = rng.f32(rows * cols, 0, 1), g = rng.f32(rows * cols);
          const gn = rng.f32(rows * cols), gt = copy(gn);
          K.softmaxBackward(y, g, gn, rows, cols, log);
          T.softmaxBackward(y, g, gt, rows, cols, log);
          close(`softmaxBackward log=${log}`, gn, gt, REL_EXACT, 1e-6);
        }
      }
    });
    it('crossEntropy (weighted and not), bceWithLogits (masked and not), l1', () => {
      for (const [rows, cols] of [[0, 3], [1, 2], [64, 10]]) {
        const x = rng.f32(rows * cols, -3, 3), t = Int32Array.from({ length: rows }, () => rng.int(cols));
        for (const w of [null, rng.f32(cols, 0.1, 2)]) {
          const gn = new Float32Array(rows * cols), gt = new Float32Array(rows * cols);
          const ln = K.crossEntropy(x, t, w, gn, rows, cols), lt = T.crossEntropy(x, t, w, gt, rows, cols);
          closeNum(`crossEntropy loss ${rows}x${cols}`, ln, lt, 1e-12);
          close('crossEntropy grad', gn, gt);
        }
      }
      for (const n of [0, 1, 500]) {
        const x = rng.f32(n, -6, 6), t = Float32Array.from({ length: n }, () => rng.int(2));
        for (const mask of [null, Uint8Array.from({ length: n }, () => rng.int(2)), new Uint8Array(n)]) {
          const gn = new Float32Array(n), gt = new Float32Array(n);
          closeNum('bce loss', K.bceWithLogits(x, t, mask, gn), T.bceWithLogits(x, t, mask, gt), 1e-12);
          close('bce grad', gn, gt);
        }
        const y = rng.f32(n), gn = new Float32Array(n), gt = new Float32Array(n);
        if (n > 1) y[0] = x[0];
        closeNum('l1 loss', K.l1(x, y, gn), T.l1(x, y, gt), 1e-12);
        close('l1 grad', gn, gt);
      }
    });
  });

  describe(`${K.name} vs ts: gather, scatter, column slices, segments`, () => {
    const rng = new Rng(13);
    it('gatherRows / scatterAddRows (repeated indices), 1 vs 2 threads', () => {
      for (const [xRows, cols, nidx] of [[0, 4, 0], [1, 1, 3], [50, 64, 400], [7, 3, 20]]) {
        const x = rng.f32(xRows * cols), idx = Int32Array.from({ length: nidx }, () => rng.int(xRows));
        const on = new Float32Array(nidx * cols), ot = new Float32Array(nidx * cols);
        K.gatherRows(x, idx, on, xRows, cols);
        T.gatherRows(x, idx, ot, xRows, cols);
        assert.deepEqual(on, ot, 'gatherRows');
        const src = rng.f32(nidx * cols), sn = rng.f32(xRows * cols), st = copy(sn);
        K.scatterAddRows(src, idx, sn, xRows, cols);
        T.scatterAddRows(src, idx, st, xRows, cols);
        assert.deepEqual(sn, st, 'scatterAddRows (same float32 order)');
      }
      const idx = Int32Array.from({ length: 20000 }, () => rng.int(300)), src = rng.f32(20000 * 64);
      const [a, b] = withThreads(K, () => { const o = new Float32Array(300 * 64); K.scatterAddRows(src, idx, o, 300, 64); return o; });
      sameBits('scatterAddRows threads', a, b);
      // Threads own ranges of the rows the indices reach: here only the first 40 of 300, so most
      // threads own nothing, and rows past the last index keep their values.
      const low = Int32Array.from({ length: 20000 }, () => rng.int(40)), base = rng.f32(300 * 64);
      const [l1, l2] = withThreads(K, () => { const o = copy(base); K.scatterAddRows(src, low, o, 300, 64); return o; });
      sameBits('scatterAddRows threads, indices below 40', l1, l2);
      const lt = copy(base);
      T.scatterAddRows(src, low, lt, 300, 64);
      sameBits('scatterAddRows threads, indices below 40, vs ts', l2, lt, ['native', 'ts']);
    });
    it('copyCols / addSliceCols', () => {
      const rows = 9, srcCols = 4, outCols = 11, off = 5;
      const src = rng.f32(rows * srcCols), on = rng.f32(rows * outCols), ot = copy(on);
      K.copyCols(src, on, rows, srcCols, outCols, off);
      T.copyCols(src, ot, rows, srcCols, outCols, off);
      assert.deepEqual(on, ot);
      const big = rng.f32(rows * outCols), an = rng.f32(rows * srcCols), at = copy(an);
      K.addSliceCols(big, an, rows, outCols, srcCols, 3);
      T.addSliceCols(big, at, rows, outCols, srcCols, 3);
      assert.deepEqual(an, at);
      K.copyCols(new Float32Array(0), new Float32Array(0), 0, 0, 0, 0);
    });
    it('segmentReduce sum/mean/max (+ empty segments, ties, NaN) and backward', () => {
      for (const sizes of [[], [0], [1], [3, 0, 5, 1, 0], Array.from({ length: 40 }, (_, i) => (i * 7) % 13)]) {
        const ptr = randomPtr(rng, sizes), rows = ptr[ptr.length - 1], S = sizes.length, cols = 6;
        const x = rng.f32(rows * cols);
        if (rows > 3) { x[cols] = x[0]; x[2 * cols + 1] = NaN; } // a tie and a NaN
        for (const op of ['sum', 'mean', 'max'] as const) {
          const on = new Float32Array(S * cols), ot = new Float32Array(S * cols);
          const amn = op === 'max' ? new Int32Array(S * cols) : null, amt = op === 'max' ? new Int32Array(S * cols) : null;
          K.segmentReduce(op, x, ptr, on, cols, amn);
          T.segmentReduce(op, x, ptr, ot, cols, amt);
          close(`segmentReduce ${op} sizes=${sizes.length}`, on, ot);
          if (amn) assert.deepEqual(amn, amt, 'argmax');
          const g = rng.f32(S * cols), gn = rng.f32(rows * cols), gt = copy(gn);
          K.segmentReduceBackward(op, g, ptr, gn, cols, amt);
          T.segmentReduceBackward(op, g, ptr, gt, cols, amt);
          close(`segmentReduceBackward ${op}`, gn, gt);
        }
      }
      const ptr = randomPtr(rng, Array.from({ length: 500 }, () => rng.int(60))), rows = ptr[500];
      const x = rng.f32(rows * 64);
      for (const op of ['sum', 'mean', 'max'] as const) {
        const [a, b] = withThreads(K, () => { const o = new Float32Array(500 * 64); K.segmentReduce(op, x, ptr, o, 64, null); return o; });
        sameBits(`segmentReduce ${op} threads`, a, b);
      }
    });
  });

  describe(`${K.name} vs ts: batch norm and optimisers`, () => {
    const rng = new Rng(17);
    it('batchNorm train/eval, affine or not, rows 1 (NaN running var) and many; backward', () => {
      for (const [rows, cols] of [[1, 3], [2, 5], [300, 64], [3840, 17]]) {
        for (const training of [true, false]) {
          for (const affine of [true, false]) {
            const x = rng.f32(rows * cols, -2, 3);
            const w = affine ? rng.f32(cols, 0.5, 1.5) : null, b = affine ? rng.f32(cols) : null;
            const rmN = rng.f32(cols), rvN = rng.f32(cols, 0.5, 2), rmT = copy(rmN), rvT = copy(rvN);
            const on = new Float32Array(rows * cols), ot = new Float32Array(rows * cols);
            const smN = new Float32Array(cols), siN = new Float32Array(cols), smT = new Float32Array(cols), siT = new Float32Array(cols);
            K.batchNorm(x, on, rows, cols, w, b, rmN, rvN, training, 0.1, 1e-5, smN, siN);
            T.batchNorm(x, ot, rows, cols, w, b, rmT, rvT, training, 0.1, 1e-5, smT, siT);
            const tag = `batchNorm ${rows}x${cols} training=${training} affine=${affine}`;
            close(`${tag} saveMean`, smN, smT, REL_EXACT, 1e-6);
            close(`${tag} saveInvStd`, siN, siT);
            close(`${tag} runningMean`, rmN, rmT, REL_EXACT, 1e-6);
            close(`${tag} runningVar`, rvN, rvT);
            close(`${tag} out`, on, ot, REL_EXACT, 1e-6);
            const g = rng.f32(rows * cols);
            const gxN = rng.f32(rows * cols), gwN = rng.f32(cols), gbN = rng.f32(cols);
            const gxT = copy(gxN), gwT = copy(gwN), gbT = copy(gbN);
            K.batchNormBackward(x, g, rows, cols, w, smT, siT, training, gxN, gwN, gbN);
            T.batchNormBackward(x, g, rows, cols, w, smT, siT, training, gxT, gwT, gbT);
            close(`${tag} gx`, gxN, gxT, REL_EXACT, 1e-6);
            close(`${tag} gw`, gwN, gwT, REL_EXACT, 1e-6);
            close(`${tag} gb`, gbN, gbT, REL_EXACT, 1e-6);
          }
        }
      }
      // eval with zero rows is legal
      K.batchNorm(new Float32Array(0), new Float32Array(0), 0, 2, null, null, Float32Array.of(0, 0), Float32Array.of(1, 1),
        false, 0.1, 1e-5, new Float32Array(2), new Float32Array(2));
      const x = rng.f32(5000 * 64);
      const [a, b] = withThreads(K, () => {
        const o = new Float32Array(x.length), sm = new Float32Array(64), si = new Float32Array(64), gx = new Float32Array(x.length);
        K.batchNorm(x, o, 5000, 64, null, null, null, null, true, 0.1, 1e-5, sm, si);
        K.batchNormBackward(x, o, 5000, 64, null, sm, si, true, gx, null, null);
        return Float32Array.from([...o, ...sm, ...si, ...gx]);
      });
      sameBits('batchNorm threads', a, b);
    });
    it('batchNorm with an addend: the exact bits of batchNorm then a full add, on both backends; NaN, inf, -0, 1 and 2 threads', () => {
      let seed = 1700;
      for (const [rows, cols] of [[1, 3], [2, 5], [300, 64], [742, 64], [3840, 17]]) {
        for (const training of [true, false]) for (const affine of [true, false]) {
          const r = new Rng(seed++);
          const x = r.f32(rows * cols, -2, 3), add = r.f32(rows * cols, -3, 3);
          // Specials in the addend (the sum's NaN, infinities and the sign of a zero sum).
          for (let i = 0; i < add.length; i += 37) add[i] = [NaN, Infinity, -Infinity, -0, 0, 1e30, 1e-40][(i / 37) % 7];
          const w = affine ? r.f32(cols, 0.5, 1.5) : null, b = affine ? r.f32(cols) : null;
          const rm0 = r.f32(cols), rv0 = r.f32(cols, 0.5, 2);
          for (const B of [K, T]) {
            const run = (fused: boolean) => {
              const o = new Float32Array(rows * cols), rm = copy(rm0), rv = copy(rv0), sm = new Float32Array(cols), si = new Float32Array(cols);
              B.batchNorm(x, o, rows, cols, w, b, rm, rv, training, 0.1, 1e-5, sm, si, fused ? add : null);
              // add(addend, bn) into a new buffer, as the GPS layer's h = local + global did.
              const h = fused ? o : new Float32Array(rows * cols);
              if (!fused) B.binary('add', add, o, h, rows, cols, 'full');
              return Float32Array.from([...h, ...rm, ...rv, ...sm, ...si]);
            };
            const tag = `${B.name} batchNorm+addend ${rows}x${cols} training=${training} affine=${affine}`;
            sameBits(tag, run(true), run(false));
            if (B === K && rows * cols > 10000) {
              const [one, two] = withThreads(K, () => run(true));
              sameBits(`${tag} threads`, one, two);
            }
          }
        }
      }
    });
    it('adamStep (Adam and AdamW) and sgdStep (momentum, nesterov, first step)', () => {
      for (const n of [0, 1, 1000]) {
        for (const decoupled of [false, true]) {
          for (const wd of [0, 0.01]) {
            const p = rng.f32(n), g = rng.f32(n), m = rng.f32(n, -0.1, 0.1), v = rng.f32(n, 0, 0.01);
            const [pn, mn, vn, pt, mt, vt] = [copy(p), copy(m), copy(v), copy(p), copy(m), copy(v)];
            K.adamStep(pn, g, mn, vn, 1e-3, 0.9, 0.999, 1e-8, wd, 7, decoupled);
            T.adamStep(pt, g, mt, vt, 1e-3, 0.9, 0.999, 1e-8, wd, 7, decoupled);
            close('adam p', pn, pt); close('adam m', mn, mt); close('adam v', vn, vt);
          }
        }
        for (const [mom, nest, first] of [[0, false, false], [0.9, false, true], [0.9, true, false], [0.5, false, false]] as const) {
          const p = rng.f32(n), g = rng.f32(n), buf = rng.f32(n);
          const [pn, bn, pt, bt] = [copy(p), copy(buf), copy(p), copy(buf)];
          K.sgdStep(pn, g, mom ? bn : null, 0.1, mom, 0.1, 1e-4, nest, first);
          T.sgdStep(pt, g, mom ? bt : null, 0.1, mom, 0.1, 1e-4, nest, first);
          close('sgd p', pn, pt); close('sgd buf', bn, bt);
        }
      }
    });
  });

  describe(`${K.name} vs ts: ragged attention`, () => {
    function check(c: AttCase) {
      const n = attentionBoth(K, c), t = attentionBoth(T, c);
      const tag = `attention sizes=[${c.sizes.length > 8 ? `${c.sizes.length} graphs` : c.sizes.join(',')}] H=${c.H} dk=${c.dk} drop=${c.drop}`;
      close(`${tag} probs`, n.probs, t.probs, REL_ATT, 1e-2);
      close(`${tag} out`, n.out, t.out, REL_ATT, 1e-1);
      const I = t.I;
      K.attentionBackward(I.q, I.k, I.v, I.mask, I.ptr, c.H, c.dk, I.scale, I.drop, t.probs, I.gOut, n.gq, n.gk, n.gv, n.gm);
      T.attentionBackward(I.q, I.k, I.v, I.mask, I.ptr, c.H, c.dk, I.scale, I.drop, t.probs, I.gOut, t.gq, t.gk, t.gv, t.gm);
      close(`${tag} gq`, n.gq, t.gq, REL_ATT, 1e-1);
      close(`${tag} gk`, n.gk, t.gk, REL_ATT, 1e-1);
      close(`${tag} gv`, n.gv, t.gv, REL_ATT, 1e-1);
      close(`${tag} gMask`, n.gm, t.gm, REL_ATT, 1e-1);
    }
    it('empty batch, empty and single-node graphs', () => {
      check({ sizes: [], H: 2, dk: 4, drop: false, seed: 1 });
      check({ sizes: [0, 1, 0, 1], H: 3, dk: 5, drop: true, seed: 2 });
      check({ sizes: [1], H: 1, dk: 1, drop: false, seed: 3 });
    });
    it('graphs of 1 to 500 nodes', () => {
      check({ sizes: [1, 2, 3, 17, 64, 111, 250, 500], H: 2, dk: 8, drop: true, seed: 4 });
    });
    it('heads 1..8 and dk 1..32', () => {
      let seed = 10;
      for (const [H, dk] of [[1, 1], [1, 32], [2, 3], [4, 16], [8, 32], [8, 1], [5, 17]]) {
        check({ sizes: [5, 30, 1, 12], H, dk, drop: seed % 2 === 0, seed: seed++ });
      }
    });
    it('null gradients accepted; 1 and 2 threads give identical bits', () => {
      const c: AttCase = { sizes: Array.from({ length: 64 }, (_, i) => 1 + ((i * 37) % 111)), H: 4, dk: 16, drop: true, seed: 77 };
      const I = attInputs(c);
      K.attentionBackward(I.q, I.k, I.v, I.mask, I.ptr, c.H, c.dk, I.scale, I.drop, new Float32Array(I.nm), I.gOut, null, null, null, null);
      const [a, b] = withThreads(K, () => {
        const out = new Float32Array(I.nd), probs = new Float32Array(I.nm);
        K.attentionForward(I.q, I.k, I.v, I.mask, I.ptr, c.H, c.dk, I.scale, I.drop, out, probs);
        const gq = new Float32Array(I.nd), gk = new Float32Array(I.nd), gv = new Float32Array(I.nd), gm = new Float32Array(I.nm);
        K.attentionBackward(I.q, I.k, I.v, I.mask, I.ptr, c.H, c.dk, I.scale, I.drop, probs, I.gOut, gq, gk, gv, gm);
        return Float32Array.from([...out, ...probs, ...gq, ...gk, ...gv, ...gm]);
      });
      sameBits('attention threads', a, b);
    });
    // The backward computes the raw scores Q K^T only when gMask is wanted: every other
    // gradient must have the same bits whichever subset is asked for (runs resume across
    // builds), on row lengths around the 16-lane blocks, with dropout or not, and with
    // inf, NaN, huge and subnormal inputs.
    it('any subset of gradients has the bits it has when all four are wanted', () => {
      const sizes = [1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 40, 47, 48, 49, 70, 520];
      const cases: [number[], number, number][] = [[[], 2, 4], [[0, 1, 0, 1], 3, 5]];
      for (const [H, dk] of [[4, 16], [8, 6], [2, 32], [1, 48], [8, 8], [1, 1]]) cases.push([H * dk > 64 ? sizes.slice(0, -1) : sizes, H, dk]);
      let seed = 200;
      for (const [sz, H, dk] of cases) {
        for (const drop of [false, true]) {
          for (const special of [false, true]) {
            const c: AttCase = { sizes: sz, H, dk, drop, seed: seed++ };
            const I = attInputs(c);
            if (special) {
              const odd = [Infinity, -Infinity, NaN, 1e30, -3e38, 1e-40, -0];
              const rng = new Rng(c.seed);
              for (let t = 0; t < 40; t++) I.q[Math.floor(rng.next() * I.nd)] = odd[t % odd.length];
            }
            const probs = new Float32Array(I.nm);
            K.attentionForward(I.q, I.k, I.v, I.mask, I.ptr, H, dk, I.scale, I.drop, new Float32Array(I.nd), probs);
            // bits of `pick`: gq, gk, gv, gMask; each gradient starts from the same random values
            const grads = (pick: number) => [1, 2, 4, 8].map((bit) => (pick & bit ? new Rng(c.seed + bit).f32(bit === 8 ? I.nm : I.nd) : null));
            const all = grads(15);
            K.attentionBackward(I.q, I.k, I.v, I.mask, I.ptr, H, dk, I.scale, I.drop, probs, I.gOut, all[0], all[1], all[2], all[3]);
            for (const pick of [1, 2, 3, 6, 7, 8, 9]) {
              const g = grads(pick);
              K.attentionBackward(I.q, I.k, I.v, I.mask, I.ptr, H, dk, I.scale, I.drop, probs, I.gOut, g[0], g[1], g[2], g[3]);
              g.forEach((x, i) => { if (x) sameBits(`H=${H} dk=${dk} drop=${drop} special=${special} pick ${pick} gradient #${i}`, x, all[i]!, ['subset', 'all']); });
            }
          }
        }
      }
    });
    // Runs in progress resume across builds bit for bit, so however the products are tiled
    // (PERFORMANCE round 16x: 8 x 32 tiles on AVX-512), each element of out = P V and of
    // gv += P^T gOut must stay one multiply-add chain over the graph's nodes in order: fused
    // wherever the ISA has FMA, else unfused (the same for every element). Graphs of 1 to 520
    // nodes cover every tile height, 16, 32 and 48 score columns and the wide-tile path.
    it('out = P V and gv += P^T gOut are in-order multiply-add chains, bit for bit', () => {
      const sizes = [1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 40, 47, 48, 49, 70, 520];
      for (const [H, dk, seed] of [[4, 16, 90], [8, 6, 91], [2, 32, 92], [1, 48, 93]]) {
        const c: AttCase = { sizes: H * dk > 64 ? sizes.slice(0, -1) : sizes, H, dk, drop: false, seed };
        const I = attInputs(c);
        const out = new Float32Array(I.nd), probs = new Float32Array(I.nm);
        K.attentionForward(I.q, I.k, I.v, I.mask, I.ptr, H, dk, I.scale, null, out, probs);
        const gv0 = new Rng(seed).f32(I.nd), gv = new Float32Array(gv0);
        K.attentionBackward(I.q, I.k, I.v, I.mask, I.ptr, H, dk, I.scale, null, probs, I.gOut, null, null, gv, null);
        const HD = H * dk;
        let fused = 0, plain = 0;
        const count = (what: string, got: number, f: number, u: number) => {
          if (Object.is(got, f)) fused += f === u ? 0 : 1;
          else if (Object.is(got, u)) plain++;
          else assert.fail(`${what}: ${got}, want ${f} (fused) or ${u} (unfused)`);
        };
        let base = 0;
        for (let b = 0; b < c.sizes.length; b++) {
          const s0 = I.ptr[b], n = c.sizes[b];
          for (let h = 0; h < H; h++, base += n * n)
            for (let i = 0; i < n; i++)
              for (let d = 0; d < dk; d++) {
                let of = 0, ou = 0, gf = gv0[(s0 + i) * HD + h * dk + d], gu = gf;
                for (let j = 0; j < n; j++) {
                  const p = probs[base + i * n + j], v = I.v[(s0 + j) * HD + h * dk + d];
                  of = fmaF32(p, v, of); ou = mulAddF32(p, v, ou);
                  const pt = probs[base + j * n + i], g = I.gOut[(s0 + j) * HD + h * dk + d];
                  gf = fmaF32(pt, g, gf); gu = mulAddF32(pt, g, gu);
                }
                const at = `H=${H} dk=${dk} graph ${b} (n=${n}) head ${h} row ${i} column ${d}`;
                count(`out ${at}`, out[(s0 + i) * HD + h * dk + d], of, ou);
                count(`gv ${at}`, gv[(s0 + i) * HD + h * dk + d], gf, gu);
              }
        }
        assert.ok(fused === 0 || plain === 0, `H=${H} dk=${dk}: ${fused} elements fused, ${plain} not: one rule for all`);
        assert.ok(fused + plain > 1000, `H=${H} dk=${dk}: only ${fused + plain} elements tell fused from unfused`);
      }
    });
    // Runs in progress resume across builds bit for bit, so the backward keeps the rounding
    // of its row-at-a-time version (before PERFORMANCE round 13): with FMA, products were
    // fused except in lanes 0-7 of a row's last vector when it held 8-15 entries (GCC's
    // 8-wide epilogue); without FMA (avx2 and default clones, wasm) never. Each probe is
    // a + x*y with x*y = 1 + 2^-11 + 2^-24: a fused add keeps the 2^-24, an unfused one not.
    it('the backward fuses a product into its sum exactly where its row-at-a-time version did', () => {
      const e = 1 + 2 ** -12, FUSED = 2 ** -11 + 2 ** -24, PLAIN = 2 ** -11;
      const how = (v: number) => (v === FUSED ? 'F' : v === PLAIN ? 'u' : `?${v}`);
      // rowDot = sum_j P_0j dP_0j in lane j mod 16: -1 (an earlier block) + e * e in column j,
      // read back as gMask_0c = P_0c (dP_0c - rowDot) = -rowDot in a column c with P = 1, dP = 0.
      const rowDot = (n: number, j: number) => {
        const ones = new Float32Array(n).fill(1), v = new Float32Array(n), p = new Float32Array(n * n);
        const c = j - 16 + (j % 16 === 15 ? -15 : 1);
        v[j - 16] = -1; p[j - 16] = 1; v[j] = e; p[j] = e; p[c] = 1;
        const gm = new Float32Array(n * n);
        K.attentionBackward(ones, ones, v, new Float32Array(n * n).fill(1), Int32Array.of(0, n), 1, 1, 1, null, p, ones, null, null, null, gm);
        return how(-gm[c]);
      };
      // gMask_0j = -1 + P (dP - rowDot) raw scale with P = dP = 1, rowDot = 0, raw = scale = e.
      const gMask = (n: number, j: number) => {
        const ones = new Float32Array(n).fill(1), k = new Float32Array(n).fill(1), v = new Float32Array(n), p = new Float32Array(n * n);
        const c = (j + 1) % n;
        k[j] = e; p[j] = 1; v[j] = 1; p[c] = 1; v[c] = -1;
        const gm = new Float32Array(n * n); gm[j] = -1;
        K.attentionBackward(ones, k, v, new Float32Array(n * n).fill(1), Int32Array.of(0, n), 1, 1, e, null, p, ones, null, null, null, gm);
        return how(gm[j]);
      };
      const fma = rowDot(48, 16 + 5) === 'F'; // a whole vector: fused wherever the ISA has FMA
      const want = (n: number, j: number) => (fma && !(n % 16 >= 8 && j >= n - (n % 16) && j % 16 < 8) ? 'F' : 'u');
      for (let n = 17; n <= 47; n++) {
        const lanes = Array.from({ length: n - 16 }, (_, i) => 16 + i);
        assert.equal(lanes.map((j) => rowDot(n, j)).join(''), lanes.map((j) => want(n, j)).join(''), `rowDot, n=${n}, columns 16..${n - 1}`);
      }
      for (let n = 2; n <= 40; n++) {
        const cols = Array.from({ length: n }, (_, j) => j);
        assert.equal(cols.map((j) => gMask(n, j)).join(''), cols.map((j) => want(n, j)).join(''), `gMask, n=${n}`);
      }
    });
  });

  describe(`${K.name} vs ts: vectorised sigmoid over the whole float range`, () => {
    it('wide inputs, saturation, subnormal outputs, infinities, NaN and -0: within 1 ulp', () => {
      const rng = new Rng(21);
      const x = Float32Array.from({ length: 20000 }, (_, i) => (rng.next() - 0.5) * (i % 3 === 0 ? 260 : 30));
      x.set([NaN, Infinity, -Infinity, -0, 0, 110, -110, -103.5, -87.5, 88.7, 1e-30, -1e-30, 16.6, -16.6]);
      const a = new Float32Array(x.length), b = new Float32Array(x.length);
      T.unary('sigmoid', x, a, 0);
      K.unary('sigmoid', x, b, 0);
      close('sigmoid', b, a);
      assert.ok(Number.isNaN(b[0]) && b[1] === 1 && b[2] === 0 && b[3] === 0.5 && b[7] > 0, 'special values');
    });
  });

  describe(`${K.name} vs ts: fused decay mask`, () => {
    // Packed distance blocks of graphs of 0, 1, 3 and 7 nodes, with unreachable (510) pairs.
    function decayInputs(seed: number, H: number) {
      const rng = new Rng(seed);
      const sizes = [3, 0, 1, 7];
      const spdPtr = randomPtr(rng, sizes.map((n) => n * n));
      const spd = Uint16Array.from({ length: spdPtr[sizes.length] }, () => (rng.next() < 0.1 ? 510 : rng.int(6)));
      const D = 511;
      return { spd, spdPtr, D, table: rng.f32(H * D, 0, 1), g: rng.f32(H * spd.length) };
    }
    it('forward layout and backward bucket sums are identical (3 heads)', () => {
      const H = 3, I = decayInputs(11, H);
      const outT = new Float32Array(H * I.spd.length), outN = new Float32Array(H * I.spd.length).fill(7);
      T.decayMask(I.spd, I.spdPtr, H, I.table, I.D, outT);
      K.decayMask(I.spd, I.spdPtr, H, I.table, I.D, outN);
      assert.deepEqual(outN, outT);
      // Spot-check the layout: graph 3 (7 nodes) starts after H*(9+0+1) entries; head 2, entry (1, 4).
      const o = H * 10 + 2 * 49 + 1 * 7 + 4;
      assert.equal(outN[o], I.table[2 * I.D + I.spd[I.spdPtr[3] + 11]]);
      const sT = new Float64Array(H * I.D).fill(0.5), sN = new Float64Array(H * I.D).fill(0.5);
      T.decayMaskBackward(I.spd, I.spdPtr, H, I.g, I.D, sT);
      K.decayMaskBackward(I.spd, I.spdPtr, H, I.g, I.D, sN);
      assert.deepEqual(sN, sT, 'same buckets, same order, double on both sides');
      let total = 0;
      for (const v of I.g) total += v;
      const bucketTotal = sN.reduce((a, b) => a + b, 0) - 0.5 * H * I.D;
      assert.ok(Math.abs(bucketTotal - total) < 1e-9, `buckets hold every gradient entry (${bucketTotal} vs ${total})`);
    });
    // The table from hop (fixed gamma, and learnable log gamma) and its gradients.
    // pow/exp come from two libms (V8's and the C library's): equal up to one float32 step.
    it('decay table and its hop / log gamma gradients agree, and hold the formula', () => {
      const H = 4, D = 511, gamma = 0.6, slope = 0.01;
      const hop = Float32Array.of(1.5, 0.3, -0.4, 2), logGamma = Float32Array.of(-0.5, -0.1, -2, -0.7);
      for (const lg of [null, logGamma]) {
        const tT = new Float32Array(H * D), tN = new Float32Array(H * D).fill(7);
        T.decayTable(hop, lg, H, D, gamma, slope, tT);
        K.decayTable(hop, lg, H, D, gamma, slope, tN);
        close(`decayTable (${lg ? 'learnable' : 'fixed'} gamma)`, tN, tT, 2 ** -23);
        // By hand: head 0 (hop 1.5) at distance 3 has e = 1.5; at distance 0, e = 0.01 * -1.5.
        const want = (e: number) => Math.fround(lg ? Math.exp(Math.fround(e * lg[0])) : gamma ** e);
        close('decayTable, head 0 by hand', [tN[3], tN[0]], [want(1.5), want(Math.fround(slope * -1.5))], 2 ** -23);
        const rng = new Rng(5);
        const sums = Float64Array.from({ length: H * D }, () => (rng.next() < 0.5 ? 0 : rng.next() - 0.5));
        const gT = [new Float32Array(H).fill(0.25), new Float32Array(H).fill(-1)], gN = gT.map((a) => a.slice());
        T.decayTableBackward(sums, hop, lg, H, D, gamma, slope, gT[0], lg ? gT[1] : null);
        K.decayTableBackward(sums, hop, lg, H, D, gamma, slope, gN[0], lg ? gN[1] : null);
        close('decayTableBackward gHop', gN[0], gT[0], 1e-6);
        close('decayTableBackward gLog', gN[1], gT[1], 1e-6);
        if (!lg) assert.deepEqual(gN[1], new Float32Array(H).fill(-1), 'gLog null: nothing written');
        assert.ok(gN[0].some((v) => v !== 0.25), 'gradients were added');
      }
    });
    it('clip-grad-norm on the device: the same squares, scale and norm as sumSquares and unary scale', () => {
      const rng = new Rng(8);
      const xs = [rng.f32(70000), rng.f32(3), new Float32Array(0)];
      for (const maxNorm of [1e9, 2]) {
        const aT = new Float64Array(1), aN = new Float64Array(1);
        for (const x of xs) { T.sumSquaresAdd(x, aT); K.sumSquaresAdd(x, aN); }
        close('sumSquaresAdd', aN, aT, 1e-12);
        closeNum('sumSquaresAdd vs sumSquares', aN[0], xs.reduce((s, x) => s + K.sumSquares(x), 0), 0);
        const yT = xs[1].slice(), yN = xs[1].slice(), want = xs[1].slice(), nT = new Float32Array(1), nN = new Float32Array(1);
        T.clipScale(aT, maxNorm, yT, nT);
        K.clipScale(aN, maxNorm, yN, nN);
        const coef = maxNorm / (Math.sqrt(aN[0]) + 1e-6);
        if (coef < 1) K.unary('scale', want, want, coef);
        assert.deepEqual(yN, want, `clipScale = unary scale by ${coef} (maxNorm ${maxNorm})`);
        close('clipScale ts', yT, yN, 1e-12);
        assert.equal(nN[0], Math.fround(Math.sqrt(aN[0])));
      }
    });
    it('decay table: bad input names the argument', () => {
      const f = (n: number) => new Float32Array(n);
      for (const k of rejecters) {
        assert.throws(() => k.decayTable(f(2), null, 2, 3, 0.5, 0.01, f(5)), /decayTable: table has 5 elements, expected H\*D = 6 \(H=2, D=3\)/);
        assert.throws(() => k.decayTable(f(3), null, 2, 3, 0.5, 0.01, f(6)), /decayTable: hop has 3 elements, expected H = 2/);
        assert.throws(() => k.decayTable(f(2), null, 2, 0, 0.5, 0.01, f(0)), /decayTable: D must be >= 1 \(max distance \+ 1\), got 0/);
        assert.throws(() => k.decayTableBackward(new Float64Array(6), f(2), null, 2, 3, 0.5, 0.01, f(1), null), /decayTableBackward: gHop has 1 elements, expected H = 2/);
      }
    });
    it('bad input: distance beyond D, uncovered spd, wrong table and sums', () => {
      const f = (n: number) => new Float32Array(n);
      const spd = Uint16Array.of(0, 1, 1, 0, 0), ptr = Int32Array.of(0, 4, 5);
      for (const k of rejecters) {
        assert.throws(() => k.decayMask(spd, ptr, 2, f(2), 1, f(10)), /decayMask: spd\[1\] = 1 is out of range \[0, D\) \(D=1, spd has 5 elements\)/);
        assert.throws(() => k.decayMask(spd, Int32Array.of(0, 4), 2, f(4), 2, f(10)), /decayMask: spdPtr\[1\] = 4, expected the spd length 5 \(B=1\)/);
        assert.throws(() => k.decayMask(spd, ptr, 2, f(3), 2, f(10)), /decayMask: table has 3 elements, expected H\*D = 4 \(H=2, D=2\)/);
        assert.throws(() => k.decayMask(spd, ptr, 2, f(4), 2, f(9)), /decayMask: out has 9 elements, expected H\*sum\(n_b\^2\) = 10 \(H=2, sumNb2=5\)/);
        assert.throws(() => k.decayMask(Int32Array.of(0) as unknown as Uint16Array, Int32Array.of(0, 1), 1, f(1), 1, f(1)), /decayMask: spd must be a Uint16Array, got Int32Array/);
        assert.throws(() => k.decayMaskBackward(spd, ptr, 2, f(10), 2, new Float64Array(3)), /decayMaskBackward: sums has 3 elements, expected H\*D = 4/);
        assert.throws(() => k.decayMaskBackward(spd, ptr, 2, f(10), 2, new Float32Array(4) as unknown as Float64Array), /decayMaskBackward: sums must be a Float64Array, got Float32Array/);
        assert.throws(() => k.decayMaskBackward(spd, ptr, 2, f(10), 0, new Float64Array(0)), /decayMaskBackward: D must be >= 1 \(max distance \+ 1\), got 0/);
      }
    });
  });
}
