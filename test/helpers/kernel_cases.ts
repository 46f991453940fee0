/**
 * Random and edge-case inputs for every kernel of the table, run on a backend
 * under test and on a reference backend with identical copies of the inputs,
 * then compared (test/cuda.test.ts: CUDA against the CPU kernels).
 *
 * Tolerances. The backends may sum in another order (a GPU reduces in blocks), so
 * where a kernel sums k float32 terms the difference is bounded by the classic
 * gamma_k * sum|terms| (gamma_k ~ k * 2^-24), checked per element for matmul; sums
 * of O(1) terms over at most a few thousand entries (softmax, batch norm,
 * attention, segment and scatter sums) are held to REL_SUM of the largest
 * magnitude of the array. Element-wise kernels with no sum differ by at most the
 * final rounding and a few ulps of the math library (REL_ELEM).
 */
import assert from 'node:assert/strict';
import type { TableKernels } from '../../src/tensor/kernels.js';
import { ENUMS } from '../../src/tensor/kernel_table.js';
import { Rng } from './rng.js';

/** The kernels a case calls (a backend without its name and thread controls). */
export type KernelFns = TableKernels;

const U = 2 ** -24;
export const REL_ELEM = 8 * U;
export const REL_SUM = 1e-5;

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Element-wise |got - want| <= tol(i); NaN must meet NaN, infinities must match. */
export function closeBy(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): void {
  assert.equal(got.length, want.length, `${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) { assert.ok(Number.isNaN(w) && Number.isNaN(g), `${what}[${i}]: ${g} vs reference ${w}`); continue; }
    if (g === w) continue;
    assert.ok(Math.abs(g - w) <= tol(i), `${what}[${i}]: ${g} vs reference ${w}, |diff| ${Math.abs(g - w)} > ${tol(i)}`);
  }
}

/** |got - want| <= rel * |want| + floor * max|want|. */
export function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rel = REL_ELEM, floor = 0): void {
  const f = floor * maxAbs(want);
  closeBy(what, got, want, (i) => rel * Math.abs(want[i]) + f + Number.MIN_VALUE);
}

/** Same bits (determinism). */
export function sameBits(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} then ${b[i]}`);
}

const copy = <T extends Float32Array | Int32Array | Float64Array | Uint32Array>(a: T): T => a.slice() as T;

function ptrOf(sizes: number[]): Int32Array {
  const p = new Int32Array(sizes.length + 1);
  for (let i = 0; i < sizes.length; i++) p[i + 1] = p[i] + sizes[i];
  return p;
}

/** One comparison: runs `run` on both backends and checks with `check`. */
export interface KernelCase { name: string; run: (dev: KernelFns, ref: KernelFns) => void }

/** Graph batches of the presets and the edge cases the issue names: empty, 1-node graphs, 500+ nodes. */
export const GRAPH_SIZES: number[][] = [[], [1], [1, 1, 1], [0, 3, 0], [30, 11, 29, 111], [523], [2, 517, 5]];
/** Head counts and widths of the presets (64 ch / 4 heads, 48 ch / 8 heads) and small ones. */
export const HEADS: [number, number][] = [[1, 8], [2, 3], [4, 16], [8, 6], [8, 8]];

export const KERNEL_CASES: KernelCase[] = [
  {
    name: 'matmul: transposes, accumulate, bias, relu, residual, zero sizes, the model\'s tall-and-thin shapes',
    run: (dev, ref) => {
      const rng = new Rng(1);
      const shapes: [number, number, number][] = [[0, 3, 4], [3, 0, 4], [3, 4, 0], [1, 1, 1], [7, 5, 3], [3840, 64, 64], [600, 128, 64], [33, 64, 1]];
      for (const [m, k, n] of shapes) {
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          for (const acc of [false, true]) {
            const a = rng.f32(m * k), b = rng.f32(k * n), c0 = rng.f32(m * n), bias = acc ? null : rng.f32(n);
            // relu is 1-Lipschitz and the residual one exact add after the product: the bound below holds.
            const cd = copy(c0), cr = copy(c0), relu = tA !== tB, res = tB ? rng.f32(m * n) : null;
            dev.matmul(a, b, cd, m, k, n, tA, tB, acc, bias, relu, res);
            ref.matmul(a, b, cr, m, k, n, tA, tB, acc, bias, relu, res);
            // gamma_k bound per element: the product of |A| and |B| (+ |C| and |bias|).
            const bound = new Float32Array(m * n);
            ref.matmul(a.map(Math.abs), b.map(Math.abs), bound, m, k, n, tA, tB, false, bias ? bias.map(Math.abs) : null, false,
              res ? res.map(Math.abs) : null);
            closeBy(`matmul ${m}x${k}x${n} tA=${tA} tB=${tB} acc=${acc} relu=${relu} residual=${res !== null}`, cd, cr,
              (i) => 2 * (k + 2) * U * (bound[i] + (acc ? Math.abs(c0[i]) : 0)) + Number.MIN_VALUE);
          }
        }
      }
    },
  },
  {
    name: 'binary and binaryBackward: every op and broadcast, out aliasing a',
    run: (dev, ref) => {
      const rng = new Rng(2);
      for (const [rows, cols] of [[0, 4], [1, 1], [37, 19], [256, 64]] as const) {
        for (const op of ENUMS.BinaryOp) {
          for (const bc of ENUMS.Broadcast) {
            const nb = { full: rows * cols, row: cols, col: rows, scalar: 1 }[bc];
            const a = rng.f32(rows * cols), b = rng.f32AwayFromZero(nb, 0.5, 2), g = rng.f32(rows * cols);
            const od = new Float32Array(rows * cols), or = new Float32Array(rows * cols);
            dev.binary(op, a, b, od, rows, cols, bc);
            ref.binary(op, a, b, or, rows, cols, bc);
            close(`binary ${op}/${bc}`, od, or);
            const ad = copy(a);
            dev.binary(op, ad, b, ad, rows, cols, bc);
            close(`binary ${op}/${bc} aliased`, ad, or);
            const ga0 = rng.f32(rows * cols), gb0 = rng.f32(nb);
            const [gad, gbd, gar, gbr] = [copy(ga0), copy(gb0), copy(ga0), copy(gb0)];
            dev.binaryBackward(op, a, b, g, gad, gbd, rows, cols, bc);
            ref.binaryBackward(op, a, b, g, gar, gbr, rows, cols, bc);
            close(`binaryBackward ${op}/${bc} ga`, gad, gar);
            close(`binaryBackward ${op}/${bc} gb`, gbd, gbr, REL_SUM, REL_SUM);
          }
        }
      }
    },
  },
  {
    name: 'unary and unaryBackward: every op, including the pow_base parameter gradient',
    run: (dev, ref) => {
      const rng = new Rng(3);
      for (const op of ENUMS.UnaryOp) {
        const x = op === 'log' ? rng.f32(5000, 0.01, 10) : rng.f32AwayFromZero(5000, 1e-3, 8);
        const p = op === 'pow_base' ? 0.6 : op === 'leaky_relu' ? 0.1 : 1.7;
        const yd = new Float32Array(x.length), yr = new Float32Array(x.length);
        dev.unary(op, x, yd, p);
        ref.unary(op, x, yr, p);
        close(`unary ${op}`, yd, yr);
        const g = rng.f32(x.length), gx0 = rng.f32(x.length);
        const gd = copy(gx0), gr = copy(gx0);
        const rd = dev.unaryBackward(op, x, yr, g, gd, p), rr = ref.unaryBackward(op, x, yr, g, gr, p);
        close(`unaryBackward ${op}`, gd, gr);
        close(`unaryBackward ${op} result`, [rd], [rr], REL_SUM, REL_SUM);
      }
    },
  },
  {
    name: 'sumAxis, sumSquares, softmax and log-softmax with their backward',
    run: (dev, ref) => {
      const rng = new Rng(4);
      for (const [rows, cols] of [[0, 3], [1, 1], [3, 0], [129, 10], [1000, 64]] as const) {
        const x = rng.f32(rows * cols, -4, 4);
        for (const axis of [0, 1] as const) {
          const n = axis === 0 ? cols : rows;
          const od = new Float32Array(n), or = new Float32Array(n);
          dev.sumAxis(x, od, rows, cols, axis);
          ref.sumAxis(x, or, rows, cols, axis);
          close(`sumAxis ${rows}x${cols} axis ${axis}`, od, or, REL_SUM, REL_SUM);
        }
        close(`sumSquares ${rows}x${cols}`, [dev.sumSquares(x)], [ref.sumSquares(x)], REL_SUM);
        for (const log of [false, true]) {
          const yd = new Float32Array(x.length), yr = new Float32Array(x.length);
          dev.softmax(x, yd, rows, cols, log);
          ref.softmax(x, yr, rows, cols, log);
          close(`softmax log=${log}`, yd, yr, REL_SUM, REL_SUM);
          const g = rng.f32(x.length), gx0 = rng.f32(x.length), gd = copy(gx0), gr = copy(gx0);
          dev.softmaxBackward(yr, g, gd, rows, cols, log);
          ref.softmaxBackward(yr, g, gr, rows, cols, log);
          close(`softmaxBackward log=${log}`, gd, gr, REL_SUM, REL_SUM);
        }
      }
    },
  },
  {
    name: 'losses: crossEntropy (weighted or not), bceWithLogits (masked or not, all masked), l1',
    run: (dev, ref) => {
      const rng = new Rng(5);
      for (const [rows, cols] of [[1, 2], [128, 2], [1000, 10]] as const) {
        const logits = rng.f32(rows * cols, -5, 5), target = rng.i32(rows, cols);
        for (const weight of [null, rng.f32(cols, 0.1, 3)]) {
          const gd = new Float32Array(rows * cols), gr = new Float32Array(rows * cols);
          const ld = dev.crossEntropy(logits, target, weight, gd, rows, cols), lr = ref.crossEntropy(logits, target, weight, gr, rows, cols);
          close('crossEntropy loss', [ld], [lr], REL_SUM);
          close('crossEntropy grad', gd, gr, REL_SUM, REL_SUM);
        }
      }
      for (const n of [0, 1, 37, 4096]) {
        const logits = rng.f32(n, -30, 30), t = Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1));
        for (const mask of [null, Uint8Array.from({ length: n }, () => (rng.next() < 0.7 ? 1 : 0)), new Uint8Array(n)]) {
          const gd = new Float32Array(n), gr = new Float32Array(n);
          close(`bce n=${n}`, [dev.bceWithLogits(logits, t, mask, gd)], [ref.bceWithLogits(logits, t, mask, gr)], REL_SUM);
          close(`bce grad n=${n}`, gd, gr, REL_SUM, REL_SUM);
        }
        const x = rng.f32(n), y = rng.f32(n);
        y[0] = x[0]; // a zero difference: sign(0) = 0
        const gd = new Float32Array(n), gr = new Float32Array(n);
        close(`l1 n=${n}`, [dev.l1(x, y, gd)], [ref.l1(x, y, gr)], REL_SUM);
        close(`l1 grad n=${n}`, gd, gr);
      }
    },
  },
  {
    name: 'gatherRows, scatterAddRows (repeated indices, empty index), copyCols and addSliceCols',
    run: (dev, ref) => {
      const rng = new Rng(6);
      for (const [xRows, cols, nIdx] of [[1, 1, 0], [5, 3, 40], [3000, 64, 9000]] as const) {
        const x = rng.f32(xRows * cols), idx = rng.i32(nIdx, xRows);
        const od = new Float32Array(nIdx * cols), or = new Float32Array(nIdx * cols);
        dev.gatherRows(x, idx, od, xRows, cols);
        ref.gatherRows(x, idx, or, xRows, cols);
        close('gatherRows', od, or, 0);
        const src = rng.f32(nIdx * cols), o0 = rng.f32(xRows * cols), sd = copy(o0), sr = copy(o0);
        dev.scatterAddRows(src, idx, sd, xRows, cols);
        ref.scatterAddRows(src, idx, sr, xRows, cols);
        close('scatterAddRows', sd, sr, REL_SUM, REL_SUM);
      }
      const rows = 50, srcCols = 7, outCols = 20, off = 9;
      const src = rng.f32(rows * srcCols), o0 = rng.f32(rows * outCols), cd = copy(o0), cr = copy(o0);
      dev.copyCols(src, cd, rows, srcCols, outCols, off);
      ref.copyCols(src, cr, rows, srcCols, outCols, off);
      close('copyCols', cd, cr, 0);
      const big = rng.f32(rows * outCols), a0 = rng.f32(rows * srcCols), ad = copy(a0), ar = copy(a0);
      dev.addSliceCols(big, ad, rows, outCols, srcCols, off);
      ref.addSliceCols(big, ar, rows, outCols, srcCols, off);
      close('addSliceCols', ad, ar);
    },
  },
  {
    name: 'segmentReduce sum/mean/max (empty segments, ties) and its backward',
    run: (dev, ref) => {
      const rng = new Rng(7);
      for (const sizes of GRAPH_SIZES) {
        const ptr = ptrOf(sizes), S = sizes.length, N = ptr[S], cols = 5;
        const x = Float32Array.from(rng.f32(N * cols), (v) => Math.round(v * 4) / 4); // ties for max
        for (const op of ENUMS.SegmentOp) {
          const od = new Float32Array(S * cols), or = new Float32Array(S * cols);
          const amd = op === 'max' ? new Int32Array(S * cols) : null, amr = op === 'max' ? new Int32Array(S * cols) : null;
          dev.segmentReduce(op, x, ptr, od, cols, amd);
          ref.segmentReduce(op, x, ptr, or, cols, amr);
          close(`segmentReduce ${op} [${sizes}]`, od, or, REL_SUM, REL_SUM);
          if (amd && amr) assert.deepEqual(amd, amr, `segmentReduce max argmax [${sizes}] (first winner on ties)`);
          const g = rng.f32(S * cols), gx0 = rng.f32(N * cols), gd = copy(gx0), gr = copy(gx0);
          dev.segmentReduceBackward(op, g, ptr, gd, cols, amr);
          ref.segmentReduceBackward(op, g, ptr, gr, cols, amr);
          close(`segmentReduceBackward ${op} [${sizes}]`, gd, gr);
        }
      }
    },
  },
  {
    name: 'batchNorm train (1 row: NaN running variance) and eval, affine or not, and its backward',
    run: (dev, ref) => {
      const rng = new Rng(8);
      for (const rows of [1, 2, 31, 3000]) {
        for (const affine of [false, true]) {
          for (const training of [true, false]) {
            const cols = 64, x = rng.f32(rows * cols, -3, 5);
            const w = affine ? rng.f32(cols, 0.5, 2) : null, b = affine ? rng.f32(cols) : null;
            const rm0 = rng.f32(cols), rv0 = rng.f32(cols, 0.5, 2);
            const [rmd, rvd, rmr, rvr] = [copy(rm0), copy(rv0), copy(rm0), copy(rv0)];
            const od = new Float32Array(rows * cols), or = new Float32Array(rows * cols);
            const smd = new Float32Array(cols), sid = new Float32Array(cols), smr = new Float32Array(cols), sir = new Float32Array(cols);
            dev.batchNorm(x, od, rows, cols, w, b, rmd, rvd, training, 0.1, 1e-5, smd, sid);
            ref.batchNorm(x, or, rows, cols, w, b, rmr, rvr, training, 0.1, 1e-5, smr, sir);
            const what = `batchNorm rows=${rows} affine=${affine} training=${training}`;
            close(`${what} out`, od, or, REL_SUM, REL_SUM);
            close(`${what} running mean`, rmd, rmr, REL_SUM, REL_SUM);
            close(`${what} running var`, rvd, rvr, REL_SUM, REL_SUM);
            close(`${what} saved invstd`, sid, sir, REL_SUM);
            const g = rng.f32(rows * cols), gx0 = rng.f32(rows * cols);
            const [gxd, gxr] = [copy(gx0), copy(gx0)];
            const gwd = affine ? new Float32Array(cols) : null, gwr = affine ? new Float32Array(cols) : null;
            const gbd = affine ? new Float32Array(cols) : null, gbr = affine ? new Float32Array(cols) : null;
            dev.batchNormBackward(x, g, rows, cols, w, smr, sir, training, gxd, gwd, gbd);
            ref.batchNormBackward(x, g, rows, cols, w, smr, sir, training, gxr, gwr, gbr);
            close(`${what} gx`, gxd, gxr, REL_SUM, REL_SUM);
            if (gwd && gwr && gbd && gbr) { close(`${what} gw`, gwd, gwr, REL_SUM, REL_SUM); close(`${what} gb`, gbd, gbr, REL_SUM, REL_SUM); }
          }
        }
      }
    },
  },
  {
    name: 'batchNorm with an addend: the bits of batchNorm then a full add (train and eval, affine or not, NaN, -0)',
    run: (dev) => {
      const rng = new Rng(18);
      for (const rows of [1, 2, 31, 742]) {
        for (const affine of [false, true]) {
          for (const training of [true, false]) {
            const cols = 64, x = rng.f32(rows * cols, -3, 5), add = rng.f32(rows * cols, -3, 3);
            for (let i = 0; i < add.length; i += 29) add[i] = [NaN, Infinity, -0, 0, 1e-40][(i / 29) % 5];
            const w = affine ? rng.f32(cols, 0.5, 2) : null, b = affine ? rng.f32(cols) : null;
            const rm0 = rng.f32(cols), rv0 = rng.f32(cols, 0.5, 2);
            const run = (fused: boolean) => {
              const o = new Float32Array(rows * cols), rm = copy(rm0), rv = copy(rv0), sm = new Float32Array(cols), si = new Float32Array(cols);
              dev.batchNorm(x, o, rows, cols, w, b, rm, rv, training, 0.1, 1e-5, sm, si, fused ? add : null);
              const h = fused ? o : new Float32Array(rows * cols);
              if (!fused) dev.binary('add', add, o, h, rows, cols, 'full');
              return Float32Array.from([...h, ...rm, ...rv, ...sm, ...si]);
            };
            sameBits(`batchNorm+addend rows=${rows} affine=${affine} training=${training}`, run(true), run(false));
          }
        }
      }
    },
  },
  {
    name: 'reluBackwardBias: the bits of relu\'s backward into zeros then the bias\'s row sums (NaN, -0, zero rows)',
    run: (dev) => {
      const rng = new Rng(19);
      for (const [rows, cols] of [[0, 4], [1, 1], [3, 7], [742, 128], [2000, 33]]) {
        const y = rng.f32(rows * cols, -1, 1), g = rng.f32(rows * cols, -2, 2), gb0 = rng.f32(cols);
        for (let i = 0; i < y.length; i += 23) y[i] = [0, -0, NaN, 1e-40][(i / 23) % 4];
        for (let i = 5; i < g.length; i += 31) g[i] = [-0, NaN, -Infinity, 1e30][((i - 5) / 31) % 4];
        gb0[0] = -0;
        for (const withBias of [true, false]) {
          const run = (fused: boolean) => {
            const gz = fused ? rng.f32(rows * cols) : new Float32Array(rows * cols), gb = copy(gb0);
            if (fused) dev.reluBackwardBias(y, g, gz, rows, cols, withBias ? gb : null);
            else {
              dev.unaryBackward('relu', y, y, g, gz, 0);
              if (withBias) dev.binaryBackward('add', gz, gb, gz, null, gb, rows, cols, 'row');
            }
            return Float32Array.from([...gz, ...gb]);
          };
          sameBits(`reluBackwardBias ${rows}x${cols} bias=${withBias}`, run(true), run(false));
        }
      }
    },
  },
  {
    name: 'ragged attention forward and backward: empty batch, 1-node graphs, 500+ nodes, every preset head count, dropout',
    run: (dev, ref) => {
      const rng = new Rng(9);
      for (const sizes of GRAPH_SIZES) {
        for (const [H, dk] of HEADS) {
          for (const withDrop of [false, true]) {
            const ptr = ptrOf(sizes), N = ptr[sizes.length], sq = sizes.reduce((s, n) => s + n * n, 0);
            const nd = N * H * dk, nm = H * sq;
            const q = rng.f32(nd), k = rng.f32(nd), v = rng.f32(nd), mask = rng.f32(nm, 0.05, 1);
            const drop = withDrop ? Float32Array.from({ length: nm }, () => (rng.next() < 0.2 ? 0 : 1.25)) : null;
            const scale = 1 / Math.sqrt(dk), what = `attention [${sizes.length > 6 ? sizes.length + ' graphs' : sizes}] H=${H} dk=${dk} drop=${withDrop}`;
            const od = new Float32Array(nd), or = new Float32Array(nd), pd = new Float32Array(nm), pr = new Float32Array(nm);
            dev.attentionForward(q, k, v, mask, ptr, H, dk, scale, drop, od, pd);
            ref.attentionForward(q, k, v, mask, ptr, H, dk, scale, drop, or, pr);
            close(`${what} out`, od, or, REL_SUM, REL_SUM);
            close(`${what} probs`, pd, pr, REL_SUM, REL_SUM);
            const gOut = rng.f32(nd);
            const gs = () => [new Float32Array(nd), new Float32Array(nd), new Float32Array(nd), new Float32Array(nm)] as const;
            const [gqd, gkd, gvd, gmd] = gs(), [gqr, gkr, gvr, gmr] = gs();
            dev.attentionBackward(q, k, v, mask, ptr, H, dk, scale, drop, pr, gOut, gqd, gkd, gvd, gmd);
            ref.attentionBackward(q, k, v, mask, ptr, H, dk, scale, drop, pr, gOut, gqr, gkr, gvr, gmr);
            for (const [n, a, b] of [['gq', gqd, gqr], ['gk', gkd, gkr], ['gv', gvd, gvr], ['gMask', gmd, gmr]] as const) {
              close(`${what} ${n}`, a, b, REL_SUM, REL_SUM);
            }
          }
        }
      }
    },
  },
  {
    name: 'adamStep (Adam and AdamW) and sgdStep (momentum, nesterov, first step)',
    run: (dev, ref) => {
      const rng = new Rng(10);
      const n = 10000, g = rng.f32(n);
      for (const decoupled of [false, true]) {
        const p0 = rng.f32(n), m0 = rng.f32(n, -0.1, 0.1), v0 = rng.f32(n, 0, 0.01);
        const [pd, md, vd, pr, mr, vr] = [copy(p0), copy(m0), copy(v0), copy(p0), copy(m0), copy(v0)];
        for (let step = 1; step <= 3; step++) {
          dev.adamStep(pd, g, md, vd, 1e-3, 0.9, 0.999, 1e-8, 0.01, step, decoupled);
          ref.adamStep(pr, g, mr, vr, 1e-3, 0.9, 0.999, 1e-8, 0.01, step, decoupled);
        }
        close(`adam decoupled=${decoupled} p`, pd, pr, REL_ELEM, REL_ELEM);
        close(`adam decoupled=${decoupled} m`, md, mr, REL_ELEM, REL_ELEM);
        close(`adam decoupled=${decoupled} v`, vd, vr, REL_ELEM, REL_ELEM);
      }
      for (const [mom, nest] of [[0, false], [0.9, false], [0.9, true]] as const) {
        const p0 = rng.f32(n), [pd, pr] = [copy(p0), copy(p0)];
        const bd = mom ? new Float32Array(n) : null, br = mom ? new Float32Array(n) : null;
        for (let step = 1; step <= 3; step++) {
          dev.sgdStep(pd, g, bd, 0.1, mom, 0, 1e-4, nest, step === 1);
          ref.sgdStep(pr, g, br, 0.1, mom, 0, 1e-4, nest, step === 1);
        }
        close(`sgd momentum=${mom} nesterov=${nest}`, pd, pr, REL_ELEM, REL_ELEM);
      }
    },
  },
  {
    name: 'uniformMask: the same mask bits and final generator state as the CPU',
    run: (dev, ref) => {
      for (const [n, thr, keep, below] of [[0, 0.5, 2, false], [1, 0.1, 1.25, false], [100001, 0.2, 1.25, false], [777, 0.9, 1 / 0.9, true]] as const) {
        const s0 = Uint32Array.of(0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x12345678);
        const [sd, sr] = [copy(s0), copy(s0)];
        const od = new Float32Array(n), or = new Float32Array(n);
        dev.uniformMask(sd, od, thr, keep, below);
        ref.uniformMask(sr, or, thr, keep, below);
        sameBits(`uniformMask n=${n} mask`, od, or);
        sameBits(`uniformMask n=${n} state`, sd, sr);
      }
    },
  },
  {
    name: 'decayMask layout and its backward bucket sums',
    run: (dev, ref) => {
      const rng = new Rng(11);
      for (const sizes of GRAPH_SIZES) {
        for (const H of [1, 4, 8]) {
          const D = 12, sq = sizes.reduce((s, n) => s + n * n, 0);
          const spd = Uint16Array.from({ length: sq }, () => rng.int(D));
          const spdPtr = ptrOf(sizes.map((n) => n * n)), table = rng.f32(H * D, 0, 1);
          const od = new Float32Array(H * sq), or = new Float32Array(H * sq);
          dev.decayMask(spd, spdPtr, H, table, D, od);
          ref.decayMask(spd, spdPtr, H, table, D, or);
          sameBits(`decayMask [${sizes.length} graphs] H=${H}`, od, or);
          const g = rng.f32(H * sq), sd = new Float64Array(H * D), sr = new Float64Array(H * D);
          dev.decayMaskBackward(spd, spdPtr, H, g, D, sd);
          ref.decayMaskBackward(spd, spdPtr, H, g, D, sr);
          close(`decayMaskBackward [${sizes.length} graphs] H=${H}`, sd, sr, 1e-12, 1e-12);
        }
      }
    },
  },
  {
    // pow/exp of the GPU's libm against the C library's: equal up to one float32 step;
    // the gradients add O(D) double terms in the same order on both.
    name: 'decayTable and its backward (fixed and learnable gamma)',
    run: (dev, ref) => {
      const rng = new Rng(12);
      for (const H of [1, 4, 8]) {
        for (const D of [1, 12, 511]) {
          const hop = rng.f32(H, -1, 3), logGamma = rng.f32(H, -2, -0.05);
          for (const lg of [null, logGamma]) {
            const td = new Float32Array(H * D), tr = new Float32Array(H * D);
            dev.decayTable(hop, lg, H, D, 0.6, 0.01, td);
            ref.decayTable(hop, lg, H, D, 0.6, 0.01, tr);
            close(`decayTable H=${H} D=${D}${lg ? ' learnable' : ''}`, td, tr, 2 ** -23);
            const sums = Float64Array.from({ length: H * D }, () => (rng.next() < 0.3 ? 0 : rng.next() - 0.5));
            const gd = [new Float32Array(H).fill(0.5), new Float32Array(H).fill(-0.5)], gr = gd.map((a) => a.slice());
            dev.decayTableBackward(sums, hop, lg, H, D, 0.6, 0.01, gd[0], lg ? gd[1] : null);
            ref.decayTableBackward(sums, hop, lg, H, D, 0.6, 0.01, gr[0], lg ? gr[1] : null);
            close(`decayTableBackward gHop H=${H} D=${D}${lg ? ' learnable' : ''}`, gd[0], gr[0], 1e-6);
            close(`decayTableBackward gLog H=${H} D=${D}${lg ? ' learnable' : ''}`, gd[1], gr[1], 1e-6);
          }
        }
      }
    },
  },
  {
    // The same fixed-order double sums as sumSquares on each side (the GPU's order differs from
    // the CPU's: within double rounding), then the scale of unary 'scale'.
    name: 'sumSquaresAdd and clipScale (clip-grad-norm on the device)',
    run: (dev, ref) => {
      const rng = new Rng(13);
      const xs = [rng.f32(0), rng.f32(1), rng.f32(5000), rng.f32(300001)];
      for (const maxNorm of [1e9, 3]) {
        const ad = new Float64Array(1), ar = new Float64Array(1);
        for (const x of xs) { dev.sumSquaresAdd(x, ad); ref.sumSquaresAdd(x, ar); }
        close('sumSquaresAdd', ad, ar, 1e-12);
        for (const x of xs) {
          const yd = x.slice(), yr = x.slice(), nd = new Float32Array(1), nr = new Float32Array(1);
          dev.clipScale(ar, maxNorm, yd, nd);
          ref.clipScale(ar, maxNorm, yr, nr);
          sameBits(`clipScale n=${x.length} maxNorm=${maxNorm}`, yd, yr);
          sameBits(`clipScale norm n=${x.length}`, nd, nr);
        }
      }
    },
  },
  {
    name: 'GINE message and backward, GatedGCN message and backward (with and without a gate)',
    run: (dev, ref) => {
      const rng = new Rng(12);
      for (const [N, E, C] of [[1, 0, 4], [7, 30, 5], [3000, 9000, 64]] as const) {
        const x = rng.f32(N * C), e = rng.f32(E * C), src = rng.i32(E, N), dst = rng.i32(E, N);
        const o0 = rng.f32(N * C), [od, or] = [copy(o0), copy(o0)];
        dev.gineMessage(x, e, src, dst, od, N, N, C);
        ref.gineMessage(x, e, src, dst, or, N, N, C);
        close(`gineMessage N=${N} E=${E}`, od, or, REL_SUM, REL_SUM);
        const g = rng.f32(N * C), [gxd, gxr] = [new Float32Array(N * C), new Float32Array(N * C)], [ged, ger] = [new Float32Array(E * C), new Float32Array(E * C)];
        dev.gineMessageBackward(x, e, src, dst, g, gxd, ged, N, N, C);
        ref.gineMessageBackward(x, e, src, dst, g, gxr, ger, N, N, C);
        close(`gineMessageBackward gx N=${N}`, gxd, gxr, REL_SUM, REL_SUM);
        close(`gineMessageBackward ge N=${N}`, ged, ger);
        for (const withGate of [false, true]) {
          const Dx = rng.f32(N * C), Ex = rng.f32(N * C), Ce = rng.f32(E * C), Bx = rng.f32(N * C);
          const gate = withGate ? rng.f32(E, 0, 1) : null;
          const outs = () => [new Float32Array(E * C), new Float32Array(E * C), new Float32Array(N * C), new Float32Array(N * C), new Float32Array(N * C)] as const;
          const [gd, s0d, numd, dpd, qd] = outs(), [gr, s0r, numr, dpr, qr] = outs();
          dev.gatedGcnMessage(Dx, Ex, Ce, Bx, gate, src, dst, gd, s0d, numd, dpd, qd, N, N, C, 1e-6);
          ref.gatedGcnMessage(Dx, Ex, Ce, Bx, gate, src, dst, gr, s0r, numr, dpr, qr, N, N, C, 1e-6);
          const what = `gatedGcnMessage N=${N} gate=${withGate}`;
          close(`${what} g`, gd, gr);
          close(`${what} s0`, s0d, s0r);
          close(`${what} num`, numd, numr, REL_SUM, REL_SUM);
          close(`${what} q`, qd, qr, REL_SUM, REL_SUM);
          const gq = rng.f32(N * C);
          const grads = () => [new Float32Array(N * C), new Float32Array(N * C), new Float32Array(E * C), new Float32Array(N * C), withGate ? new Float32Array(E) : null] as const;
          const bd = grads(), br = grads();
          dev.gatedGcnMessageBackward(Bx, gate, s0r, numr, dpr, src, dst, gq, new Float32Array(2 * N * C), ...bd, N, N, C);
          ref.gatedGcnMessageBackward(Bx, gate, s0r, numr, dpr, src, dst, gq, new Float32Array(2 * N * C), ...br, N, N, C);
          ['gDx', 'gEx', 'gCe', 'gBx', 'ggate'].forEach((n, i) => {
            const a = bd[i], b = br[i];
            if (a && b) close(`${what} backward ${n}`, a, b, REL_SUM, REL_SUM);
          });
        }
      }
    },
  },
];
