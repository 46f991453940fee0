/**
 * Plain TypeScript implementation of `Kernels` (see kernels.ts for the spec of
 * every function). It is the reference the native kernels are tested against and
 * the fallback when the addon is missing: clarity first, but loops are ordered
 * for contiguous access and nothing allocates per element. Sums that feed
 * normalisers or statistics are accumulated in double (JS numbers); values are
 * rounded to float32 only when stored. Every function validates its arguments
 * (kernel_checks.ts) before writing anything.
 */
import { uniform53, xoshiro128ssNext } from '../util/rng.js';
import type { BinaryOp, Broadcast, F32, I32, Kernels, SegmentOp, UnaryOp } from './kernels.js';
import { validate } from './kernel_checks.js';

let threads = 1;

/** Index of b's element for a[r, c] under broadcast mode (as a stride pair). */
function bStrides(bc: Broadcast, cols: number): [number, number] {
  // b index = r * rs + c * cs
  switch (bc) {
    case 'full': return [cols, 1];
    case 'row': return [0, 1];
    case 'col': return [1, 0];
    case 'scalar': return [0, 0];
  }
}

function binary(op: BinaryOp, a: F32, b: F32, out: F32, rows: number, cols: number, bc: Broadcast): void {
  validate.binary(op, a, b, out, rows, cols, bc);
  const [rs, cs] = bStrides(bc, cols);
  for (let r = 0; r < rows; r++) {
    const ro = r * cols, bo = r * rs;
    switch (op) {
      case 'add': for (let c = 0; c < cols; c++) out[ro + c] = a[ro + c] + b[bo + c * cs]; break;
      case 'sub': for (let c = 0; c < cols; c++) out[ro + c] = a[ro + c] - b[bo + c * cs]; break;
      case 'mul': for (let c = 0; c < cols; c++) out[ro + c] = a[ro + c] * b[bo + c * cs]; break;
      case 'div': for (let c = 0; c < cols; c++) out[ro + c] = a[ro + c] / b[bo + c * cs]; break;
    }
  }
}

function binaryBackward(op: BinaryOp, a: F32, b: F32, g: F32, ga: F32 | null, gb: F32 | null,
  rows: number, cols: number, bc: Broadcast): void {
  validate.binaryBackward(op, a, b, g, ga, gb, rows, cols, bc);
  const [rs, cs] = bStrides(bc, cols);
  if (ga) {
    for (let r = 0; r < rows; r++) {
      const ro = r * cols, bo = r * rs;
      for (let c = 0; c < cols; c++) {
        const i = ro + c;
        switch (op) {
          case 'add': case 'sub': ga[i] += g[i]; break;
          case 'mul': ga[i] += g[i] * b[bo + c * cs]; break;
          case 'div': ga[i] += g[i] / b[bo + c * cs]; break;
        }
      }
    }
  }
  if (gb) {
    // Reduce the per-element contributions to b's shape in double, then add once.
    const acc = new Float64Array(gb.length);
    for (let r = 0; r < rows; r++) {
      const ro = r * cols, bo = r * rs;
      for (let c = 0; c < cols; c++) {
        const i = ro + c, j = bo + c * cs;
        let d: number;
        switch (op) {
          case 'add': d = g[i]; break;
          case 'sub': d = -g[i]; break;
          case 'mul': d = g[i] * a[i]; break;
          case 'div': { const bj = b[j]; d = -g[i] * a[i] / (bj * bj); break; }
        }
        acc[j] += d;
      }
    }
    for (let j = 0; j < gb.length; j++) gb[j] += acc[j];
  }
}

function unary(op: UnaryOp, x: F32, out: F32, p: number): void {
  validate.unary(op, x, out, p);
  const n = x.length;
  switch (op) {
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : (v !== v ? v : 0); } break;
    case 'leaky_relu': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : p * v; } break;
    case 'sigmoid': for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]); break;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); break;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); break;
    case 'pow_base': for (let i = 0; i < n; i++) out[i] = Math.pow(p, x[i]); break;
    case 'scale': for (let i = 0; i < n; i++) out[i] = p * x[i]; break;
    case 'add_scalar': for (let i = 0; i < n; i++) out[i] = x[i] + p; break;
  }
}

/** Overflow-free logistic function. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function unaryBackward(op: UnaryOp, x: F32, y: F32, g: F32, gx: F32 | null, p: number): number {
  validate.unaryBackward(op, x, y, g, gx, p);
  const n = x.length;
  if (gx) {
    switch (op) {
      case 'relu': for (let i = 0; i < n; i++) gx[i] += x[i] > 0 ? g[i] : 0; break;
      case 'leaky_relu': for (let i = 0; i < n; i++) gx[i] += x[i] > 0 ? g[i] : g[i] * p; break;
      case 'sigmoid': for (let i = 0; i < n; i++) gx[i] += g[i] * y[i] * (1 - y[i]); break;
      case 'exp': for (let i = 0; i < n; i++) gx[i] += g[i] * y[i]; break;
      case 'log': for (let i = 0; i < n; i++) gx[i] += g[i] / x[i]; break;
      case 'pow_base': { const lp = Math.log(p); for (let i = 0; i < n; i++) gx[i] += g[i] * y[i] * lp; break; }
      case 'scale': for (let i = 0; i < n; i++) gx[i] += g[i] * p; break;
      case 'add_scalar': for (let i = 0; i < n; i++) gx[i] += g[i]; break;
    }
  }
  if (op !== 'pow_base') return 0;
  // d(p^x)/dp = x p^(x-1) = x y / p
  let s = 0;
  for (let i = 0; i < n; i++) s += g[i] * x[i] * y[i];
  return s / p;
}

function matmul(a: F32, b: F32, c: F32, m: number, k: number, n: number,
  transA: boolean, transB: boolean, accumulate: boolean, bias: F32 | null = null, relu = false, residual: F32 | null = null): void {
  validate.matmul(a, b, c, m, k, n, transA, transB, accumulate, bias, relu, residual);
  if (!transB) {
    // i-p-j: stream rows of B into a double accumulator row of C.
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[p * m + i] : a[i * k + p];
        const bo = p * n;
        for (let j = 0; j < n; j++) acc[j] += aip * b[bo + j];
      }
      const co = i * n;
      if (accumulate) for (let j = 0; j < n; j++) c[co + j] += acc[j];
      else for (let j = 0; j < n; j++) c[co + j] = acc[j];
    }
  } else {
    // B stored [n, k]: C[i, j] is a dot of row i of op(A) with row j of B.
    const arow = new Float64Array(k);
    for (let i = 0; i < m; i++) {
      if (transA) for (let p = 0; p < k; p++) arow[p] = a[p * m + i];
      else for (let p = 0; p < k; p++) arow[p] = a[i * k + p];
      const co = i * n;
      for (let j = 0; j < n; j++) {
        const bo = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += arow[p] * b[bo + p];
        if (accumulate) c[co + j] += s; else c[co + j] = s;
      }
    }
  }
  // After the float32 store, as binary('add', c, bias, c, m, n, 'row') would.
  if (bias) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] += bias[j];
  // Then as binary('add', c, residual, c, m, n, 'full') would.
  if (residual) for (let i = 0; i < m * n; i++) c[i] += residual[i];
  // Last, as unary('relu', c, c) would (NaN kept, -0 and negatives to +0).
  if (relu) for (let i = 0; i < m * n; i++) { const v = c[i]; c[i] = v > 0 ? v : (v !== v ? v : 0); }
}

function sumAxis(x: F32, out: F32, rows: number, cols: number, axis: 0 | 1): void {
  validate.sumAxis(x, out, rows, cols, axis);
  if (axis === 0) {
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const ro = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += x[ro + c];
    }
    out.set(acc);
  } else {
    for (let r = 0; r < rows; r++) {
      const ro = r * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += x[ro + c];
      out[r] = s;
    }
  }
}

function sumSquares(x: F32): number {
  validate.sumSquares(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

function softmax(x: F32, out: F32, rows: number, cols: number, log: boolean): void {
  validate.softmax(x, out, rows, cols, log);
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) if (x[ro + c] > mx) mx = x[ro + c];
    // An all -inf row: keep PyTorch's NaN instead of exp(-inf - -inf).
    if (mx === -Infinity) mx = 0;
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[ro + c] - mx);
    if (log) {
      const lse = mx + Math.log(s);
      for (let c = 0; c < cols; c++) out[ro + c] = x[ro + c] - lse;
    } else {
      const inv = 1 / s;
      for (let c = 0; c < cols; c++) out[ro + c] = Math.exp(x[ro + c] - mx) * inv;
    }
  }
}

function softmaxBackward(y: F32, g: F32, gx: F32, rows: number, cols: number, log: boolean): void {
  validate.softmaxBackward(y, g, gx, rows, cols, log);
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    let s = 0;
    if (log) {
      // y = x - lse: gx = g - softmax * sum(g)
      for (let c = 0; c < cols; c++) s += g[ro + c];
      for (let c = 0; c < cols; c++) gx[ro + c] += g[ro + c] - Math.exp(y[ro + c]) * s;
    } else {
      // gx = y * (g - sum(g * y))
      for (let c = 0; c < cols; c++) s += g[ro + c] * y[ro + c];
      for (let c = 0; c < cols; c++) gx[ro + c] += y[ro + c] * (g[ro + c] - s);
    }
  }
}

function crossEntropy(logits: F32, target: I32, weight: F32 | null, grad: F32, rows: number, cols: number): number {
  validate.crossEntropy(logits, target, weight, grad, rows, cols);
  // Normaliser: sum of target weights (rows without weights). rows = 0 or a zero
  // weight sum gives NaN, as PyTorch's mean over nothing.
  let norm = 0;
  for (let r = 0; r < rows; r++) norm += weight ? weight[target[r]] : 1;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const ro = r * cols, t = target[r];
    const w = weight ? weight[t] : 1;
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) if (logits[ro + c] > mx) mx = logits[ro + c];
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(logits[ro + c] - mx);
    const lse = mx + Math.log(s);
    loss += w * (lse - logits[ro + t]);
    const f = w / norm;
    for (let c = 0; c < cols; c++) grad[ro + c] = f * Math.exp(logits[ro + c] - lse);
    grad[ro + t] = f * (Math.exp(logits[ro + t] - lse) - 1);
  }
  return loss / norm;
}

function bceWithLogits(logits: F32, target: F32, mask: Uint8Array | null, grad: F32): number {
  validate.bceWithLogits(logits, target, mask, grad);
  const n = logits.length;
  let count = 0;
  for (let i = 0; i < n; i++) if (!mask || mask[i]) count++;
  if (count === 0) { grad.fill(0); return 0; }
  let loss = 0;
  const inv = 1 / count;
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) { grad[i] = 0; continue; }
    const x = logits[i], t = target[i];
    loss += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    grad[i] = (sigmoid(x) - t) * inv;
  }
  return loss * inv;
}

function l1(x: F32, y: F32, grad: F32): number {
  validate.l1(x, y, grad);
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i];
    s += Math.abs(d);
    grad[i] = (d > 0 ? 1 : d < 0 ? -1 : d) / n; // sign(0) = 0, NaN stays NaN
  }
  return s / n;
}

function gatherRows(x: F32, idx: I32, out: F32, xRows: number, cols: number): void {
  validate.gatherRows(x, idx, out, xRows, cols);
  for (let r = 0; r < idx.length; r++) {
    const so = idx[r] * cols;
    out.set(x.subarray(so, so + cols), r * cols);
  }
}

function scatterAddRows(src: F32, idx: I32, out: F32, outRows: number, cols: number): void {
  validate.scatterAddRows(src, idx, out, outRows, cols);
  for (let r = 0; r < idx.length; r++) {
    const so = r * cols, oo = idx[r] * cols;
    for (let c = 0; c < cols; c++) out[oo + c] += src[so + c];
  }
}

function copyCols(src: F32, out: F32, rows: number, srcCols: number, outCols: number, off: number): void {
  validate.copyCols(src, out, rows, srcCols, outCols, off);
  for (let r = 0; r < rows; r++) {
    out.set(src.subarray(r * srcCols, (r + 1) * srcCols), r * outCols + off);
  }
}

function addSliceCols(src: F32, out: F32, rows: number, srcCols: number, outCols: number, off: number): void {
  validate.addSliceCols(src, out, rows, srcCols, outCols, off);
  for (let r = 0; r < rows; r++) {
    const so = r * srcCols + off, oo = r * outCols;
    for (let c = 0; c < outCols; c++) out[oo + c] += src[so + c];
  }
}

function segmentReduce(op: SegmentOp, x: F32, ptr: I32, out: F32, cols: number, argmax: I32 | null): void {
  validate.segmentReduce(op, x, ptr, out, cols, argmax);
  const S = ptr.length - 1;
  const acc = new Float64Array(cols);
  for (let s = 0; s < S; s++) {
    const lo = ptr[s], hi = ptr[s + 1], oo = s * cols;
    if (op === 'max') {
      if (lo === hi) {
        out.fill(0, oo, oo + cols);
        if (argmax) argmax.fill(-1, oo, oo + cols);
        continue;
      }
      // First maximum wins on ties; a NaN wins and stays (propagates like PyTorch).
      for (let c = 0; c < cols; c++) { out[oo + c] = x[lo * cols + c]; if (argmax) argmax[oo + c] = lo; }
      for (let r = lo + 1; r < hi; r++) {
        const ro = r * cols;
        for (let c = 0; c < cols; c++) {
          const v = x[ro + c], best = out[oo + c];
          if (v > best || (v !== v && best === best)) {
            out[oo + c] = v;
            if (argmax) argmax[oo + c] = r;
          }
        }
      }
    } else {
      acc.fill(0);
      for (let r = lo; r < hi; r++) {
        const ro = r * cols;
        for (let c = 0; c < cols; c++) acc[c] += x[ro + c];
      }
      const f = op === 'mean' && hi > lo ? 1 / (hi - lo) : 1;
      for (let c = 0; c < cols; c++) out[oo + c] = acc[c] * f;
    }
  }
}

function segmentReduceBackward(op: SegmentOp, g: F32, ptr: I32, gx: F32, cols: number, argmax: I32 | null): void {
  validate.segmentReduceBackward(op, g, ptr, gx, cols, argmax);
  const S = ptr.length - 1;
  for (let s = 0; s < S; s++) {
    const lo = ptr[s], hi = ptr[s + 1], go = s * cols;
    if (op === 'max') {
      const am = argmax as I32; // checked by validate
      for (let c = 0; c < cols; c++) {
        const r = am[go + c];
        if (r >= 0) gx[r * cols + c] += g[go + c];
      }
    } else {
      const f = op === 'mean' && hi > lo ? 1 / (hi - lo) : 1;
      for (let r = lo; r < hi; r++) {
        const ro = r * cols;
        for (let c = 0; c < cols; c++) gx[ro + c] += g[go + c] * f;
      }
    }
  }
}

function batchNorm(x: F32, out: F32, rows: number, cols: number, weight: F32 | null, bias: F32 | null,
  runningMean: F32 | null, runningVar: F32 | null, training: boolean, momentum: number, eps: number,
  saveMean: F32, saveInvStd: F32): void {
  validate.batchNorm(x, out, rows, cols, weight, bias, runningMean, runningVar, training, momentum, eps, saveMean, saveInvStd);
  if (training) {
    // Two passes in double: mean, then biased variance (more accurate than E[x^2]-E[x]^2).
    const mean = new Float64Array(cols), vr = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c];
    for (let c = 0; c < cols; c++) mean[c] /= rows;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) { const d = x[r * cols + c] - mean[c]; vr[c] += d * d; }
    }
    for (let c = 0; c < cols; c++) {
      const biased = vr[c] / rows;
      saveMean[c] = mean[c];
      saveInvStd[c] = 1 / Math.sqrt(biased + eps);
      if (runningMean && runningVar) {
        // rows == 1: unbiased variance is 0/0 = NaN, as PyTorch.
        const unbiased = rows > 1 ? vr[c] / (rows - 1) : NaN;
        runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
        runningVar[c] = (1 - momentum) * runningVar[c] + momentum * unbiased;
      }
    }
  } else {
    const rm = runningMean as F32, rv = runningVar as F32; // checked by validate
    for (let c = 0; c < cols; c++) { saveMean[c] = rm[c]; saveInvStd[c] = 1 / Math.sqrt(rv[c] + eps); }
  }
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) {
      const xh = (x[ro + c] - saveMean[c]) * saveInvStd[c];
      out[ro + c] = xh * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
    }
  }
}

function batchNormBackward(x: F32, g: F32, rows: number, cols: number, weight: F32 | null,
  saveMean: F32, saveInvStd: F32, training: boolean, gx: F32 | null, gw: F32 | null, gb: F32 | null): void {
  validate.batchNormBackward(x, g, rows, cols, weight, saveMean, saveInvStd, training, gx, gw, gb);
  // sumG[c] = sum_r g, sumGX[c] = sum_r g * xhat (double)
  const sumG = new Float64Array(cols), sumGX = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) {
      const gi = g[ro + c];
      sumG[c] += gi;
      sumGX[c] += gi * (x[ro + c] - saveMean[c]) * saveInvStd[c];
    }
  }
  if (gw) for (let c = 0; c < cols; c++) gw[c] += sumGX[c];
  if (gb) for (let c = 0; c < cols; c++) gb[c] += sumG[c];
  if (!gx) return;
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) {
      const w = weight ? weight[c] : 1, is = saveInvStd[c];
      if (training) {
        // dx = w*invstd/N * (N*g - sum(g) - xhat*sum(g*xhat))
        const xh = (x[ro + c] - saveMean[c]) * is;
        gx[ro + c] += w * is * (g[ro + c] - sumG[c] / rows - xh * sumGX[c] / rows);
      } else {
        gx[ro + c] += g[ro + c] * w * is;
      }
    }
  }
}

function attentionForward(q: F32, k: F32, v: F32, mask: F32, graphPtr: I32, H: number, dk: number,
  scale: number, drop: F32 | null, out: F32, probs: F32): void {
  validate.attentionForward(q, k, v, mask, graphPtr, H, dk, scale, drop, out, probs);
  const HD = H * dk;
  const o = new Float64Array(dk);
  let blk = 0; // start of graph b's mask block
  for (let b = 0; b + 1 < graphPtr.length; b++) {
    const s0 = graphPtr[b], n = graphPtr[b + 1] - s0;
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < n; i++) {
        const qo = (s0 + i) * HD + h * dk;
        const ro = blk + (h * n + i) * n; // row i of head h in the block
        let mx = -Infinity;
        for (let j = 0; j < n; j++) {
          const ko = (s0 + j) * HD + h * dk;
          let d = 0;
          for (let t = 0; t < dk; t++) d += q[qo + t] * k[ko + t];
          const sc = d * scale * mask[ro + j];
          probs[ro + j] = sc; // raw score, replaced by P below
          if (sc > mx) mx = sc;
        }
        if (mx === -Infinity) mx = 0;
        let den = 0;
        for (let j = 0; j < n; j++) den += Math.exp(probs[ro + j] - mx);
        o.fill(0);
        for (let j = 0; j < n; j++) {
          const pij = Math.exp(probs[ro + j] - mx) / den;
          probs[ro + j] = pij;
          const w = drop ? pij * drop[ro + j] : pij;
          const vo = (s0 + j) * HD + h * dk;
          for (let t = 0; t < dk; t++) o[t] += w * v[vo + t];
        }
        for (let t = 0; t < dk; t++) out[qo + t] = o[t];
      }
    }
    blk += H * n * n;
  }
}

function attentionBackward(q: F32, k: F32, v: F32, mask: F32, graphPtr: I32, H: number, dk: number,
  scale: number, drop: F32 | null, probs: F32, gOut: F32,
  gq: F32 | null, gk: F32 | null, gv: F32 | null, gMask: F32 | null): void {
  validate.attentionBackward(q, k, v, mask, graphPtr, H, dk, scale, drop, probs, gOut, gq, gk, gv, gMask);
  const HD = H * dk;
  let maxN = 0;
  for (let b = 0; b + 1 < graphPtr.length; b++) maxN = Math.max(maxN, graphPtr[b + 1] - graphPtr[b]);
  const dP = new Float64Array(maxN);
  const gqRow = new Float64Array(dk);
  let blk = 0;
  for (let b = 0; b + 1 < graphPtr.length; b++) {
    const s0 = graphPtr[b], n = graphPtr[b + 1] - s0;
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < n; i++) {
        const qo = (s0 + i) * HD + h * dk;
        const ro = blk + (h * n + i) * n;
        // dP_ij = (gOut_i . v_j) * D_ij ; gv_j += P_ij D_ij gOut_i ; rowDot = sum_j P_ij dP_ij
        let rowDot = 0;
        for (let j = 0; j < n; j++) {
          const vo = (s0 + j) * HD + h * dk;
          const dij = drop ? drop[ro + j] : 1;
          let d = 0;
          for (let t = 0; t < dk; t++) d += gOut[qo + t] * v[vo + t];
          dP[j] = d * dij;
          rowDot += probs[ro + j] * dP[j];
          if (gv) {
            const w = probs[ro + j] * dij;
            for (let t = 0; t < dk; t++) gv[vo + t] += w * gOut[qo + t];
          }
        }
        if (!gq && !gk && !gMask) continue;
        gqRow.fill(0);
        for (let j = 0; j < n; j++) {
          const dS = probs[ro + j] * (dP[j] - rowDot);
          const ko = (s0 + j) * HD + h * dk;
          if (gMask) {
            let d = 0;
            for (let t = 0; t < dk; t++) d += q[qo + t] * k[ko + t];
            gMask[ro + j] += dS * d * scale;
          }
          const dRaw = dS * mask[ro + j] * scale;
          if (gq) for (let t = 0; t < dk; t++) gqRow[t] += dRaw * k[ko + t];
          if (gk) for (let t = 0; t < dk; t++) gk[ko + t] += dRaw * q[qo + t];
        }
        if (gq) for (let t = 0; t < dk; t++) gq[qo + t] += gqRow[t];
      }
    }
    blk += H * n * n;
  }
}

function adamStep(p: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number,
  eps: number, weightDecay: number, step: number, decoupled: boolean): void {
  validate.adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step, decoupled);
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
  const stepSize = lr / bc1;
  for (let i = 0; i < p.length; i++) {
    // Intermediates are rounded to float32 where torch materialises a float32 tensor.
    let pi = p[i], gi = g[i];
    if (decoupled) pi = Math.fround(pi * (1 - lr * weightDecay));
    else if (weightDecay !== 0) gi = Math.fround(gi + weightDecay * pi);
    m[i] = beta1 * m[i] + (1 - beta1) * gi;
    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
    p[i] = pi - stepSize * m[i] / (Math.sqrt(v[i]) / bc2Sqrt + eps);
  }
}

function sgdStep(p: F32, g: F32, buf: F32 | null, lr: number, momentum: number, dampening: number,
  weightDecay: number, nesterov: boolean, firstStep: boolean): void {
  validate.sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
  for (let i = 0; i < p.length; i++) {
    let d = g[i];
    if (weightDecay !== 0) d += weightDecay * p[i];
    if (momentum !== 0) {
      const bb = buf as F32; // checked by validate
      const bi = (bb[i] = firstStep ? d : momentum * bb[i] + (1 - dampening) * d);
      d = nesterov ? d + momentum * bi : bi;
    }
    p[i] -= lr * d;
  }
}

/** Masks from the xoshiro128** stream of src/util/rng.ts, on a Uint32Array state advanced in place. */
function uniformMask(state: Uint32Array, out: F32, threshold: number, keep: number, below: boolean): void {
  validate.uniformMask(state, out, threshold, keep, below);
  const k = Math.fround(keep);
  for (let i = 0; i < out.length; i++) {
    const hi = xoshiro128ssNext(state);
    const u = uniform53(hi, xoshiro128ssNext(state));
    out[i] = (below ? u < threshold : u >= threshold) ? k : 0;
  }
}

/** Decay-mask layout by table lookup (see Kernels.decayMask). */
function decayMask(spd: Uint16Array, spdPtr: I32, H: number, table: F32, D: number, out: F32): void {
  validate.decayMask(spd, spdPtr, H, table, D, out);
  const B = spdPtr.length - 1;
  let o = 0;
  for (let b = 0; b < B; b++) {
    const s = spdPtr[b], len = spdPtr[b + 1] - s;
    for (let h = 0; h < H; h++) {
      const t = h * D;
      for (let i = 0; i < len; i++) out[o + i] = table[t + spd[s + i]];
      o += len;
    }
  }
}

/** Bucket sums of the upstream gradient by (head, distance) (see Kernels.decayMaskBackward). */
function decayMaskBackward(spd: Uint16Array, spdPtr: I32, H: number, g: F32, D: number, sums: Float64Array): void {
  validate.decayMaskBackward(spd, spdPtr, H, g, D, sums);
  const B = spdPtr.length - 1;
  let o = 0;
  for (let b = 0; b < B; b++) {
    const s = spdPtr[b], len = spdPtr[b + 1] - s;
    for (let h = 0; h < H; h++) {
      const t = h * D;
      for (let i = 0; i < len; i++) sums[t + spd[s + i]] += g[o + i];
      o += len;
    }
  }
}

/** The decay table (see Kernels.decayTable); pre and e of one (h, d), rounded as the unfused chain. */
function decayEntry(hv: number, d: number, slope: number): { pre: number; e: number } {
  const pre = Math.fround(d - hv);
  return { pre, e: pre > 0 ? pre : Math.fround(slope * pre) };
}

function decayTable(hop: F32, logGamma: F32 | null, H: number, D: number, gamma: number, slope: number, table: F32): void {
  validate.decayTable(hop, logGamma, H, D, gamma, slope, table);
  for (let h = 0; h < H; h++) {
    for (let d = 0; d < D; d++) {
      const { e } = decayEntry(hop[h], d, slope);
      table[h * D + d] = logGamma === null ? Math.pow(gamma, e) : Math.exp(Math.fround(e * logGamma[h]));
    }
  }
}

/** Gradients of hop and log gamma from the bucket sums (see Kernels.decayTableBackward). */
function decayTableBackward(sums: Float64Array, hop: F32, logGamma: F32 | null, H: number, D: number, gamma: number, slope: number,
  gHop: F32 | null, gLog: F32 | null): void {
  validate.decayTableBackward(sums, hop, logGamma, H, D, gamma, slope, gHop, gLog);
  const lnGamma = Math.log(gamma);
  for (let h = 0; h < H; h++) {
    const lg = logGamma === null ? lnGamma : logGamma[h];
    let gh = 0, gl = 0;
    for (let d = 0; d < D; d++) {
      const S = sums[h * D + d];
      if (S === 0) continue;
      const { pre, e } = decayEntry(hop[h], d, slope);
      const t = Math.fround(logGamma === null ? Math.pow(gamma, e) : Math.exp(Math.fround(e * lg)));
      const dz = S * t; // dL/d(e * log gamma)
      gh -= dz * lg * (pre > 0 ? 1 : slope);
      gl += dz * e;
    }
    if (gHop !== null) gHop[h] += Math.fround(gh);
    if (gLog !== null) gLog[h] += Math.fround(gl);
  }
}

/** acc[0] += sum of x^2 (see Kernels.sumSquaresAdd). */
function sumSquaresAdd(x: F32, acc: Float64Array): void {
  validate.sumSquaresAdd(x, acc);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  acc[0] += s;
}

/** Scales x by maxNorm / (sqrt(acc[0]) + 1e-6) when that is below 1 (see Kernels.clipScale). */
function clipScale(acc: Float64Array, maxNorm: number, x: F32, norm: F32 | null): void {
  validate.clipScale(acc, maxNorm, x, norm);
  const total = Math.sqrt(acc[0]), coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (let i = 0; i < x.length; i++) x[i] = coef * x[i];
  if (norm !== null) norm[0] = total;
}

/** GINE message + aggregation (see Kernels.gineMessage): edges in order, x + e rounded to float32. */
function gineMessage(x: F32, e: F32, src: I32, dst: I32, out: F32, xRows: number, outRows: number, cols: number): void {
  validate.gineMessage(x, e, src, dst, out, xRows, outRows, cols);
  for (let k = 0; k < src.length; k++) {
    const xo = src[k] * cols, eo = k * cols, oo = dst[k] * cols;
    for (let c = 0; c < cols; c++) {
      const v = Math.fround(x[xo + c] + e[eo + c]);
      out[oo + c] += v > 0 || v !== v ? v : 0;
    }
  }
}

/** Backward of gineMessage (see Kernels.gineMessageBackward). */
function gineMessageBackward(x: F32, e: F32, src: I32, dst: I32, g: F32, gx: F32 | null, ge: F32 | null,
  xRows: number, outRows: number, cols: number): void {
  validate.gineMessageBackward(x, e, src, dst, g, gx, ge, xRows, outRows, cols);
  for (let k = 0; k < src.length; k++) {
    const xo = src[k] * cols, eo = k * cols, go = dst[k] * cols;
    for (let c = 0; c < cols; c++) {
      const d = Math.fround(x[xo + c] + e[eo + c]) > 0 ? g[go + c] : 0;
      if (ge !== null) ge[eo + c] += d;
      if (gx !== null) gx[xo + c] += d;
    }
  }
}

/**
 * GatedGCN message (see Kernels.gatedGcnMessage): the unfused chain's TypeScript
 * kernels written out in one pass each, every stored step rounded to float32 as the
 * chain stored it, the same `sigmoid`, edges in order.
 */
function gatedGcnMessage(Dx: F32, Ex: F32, Ce: F32, Bx: F32, gate: F32 | null, src: I32, dst: I32,
  g: F32, s0: F32, num: F32, dp: F32, q: F32, xRows: number, outRows: number, cols: number, eps: number): void {
  validate.gatedGcnMessage(Dx, Ex, Ce, Bx, gate, src, dst, g, s0, num, dp, q, xRows, outRows, cols, eps);
  const E = src.length;
  for (let k = 0; k < E; k++) {
    const d = dst[k] * cols, j = src[k] * cols, o = k * cols;
    for (let c = 0; c < cols; c++) g[o + c] = Math.fround(Dx[d + c] + Ex[j + c]) + Ce[o + c];
  }
  for (let i = 0; i < E * cols; i++) s0[i] = sigmoid(g[i]);
  num.fill(0);
  dp.fill(0);
  for (let k = 0; k < E; k++) {
    const d = dst[k] * cols, j = src[k] * cols, o = k * cols;
    for (let c = 0; c < cols; c++) {
      const s = gate === null ? s0[o + c] : Math.fround(s0[o + c] * gate[k]);
      num[d + c] += Math.fround(s * Bx[j + c]);
      dp[d + c] += s;
    }
  }
  for (let i = 0; i < outRows * cols; i++) {
    dp[i] = dp[i] + eps;
    q[i] = num[i] / dp[i];
  }
}

/** Backward of gatedGcnMessage (see Kernels.gatedGcnMessageBackward), in the tape's order of the chain. */
function gatedGcnMessageBackward(Bx: F32, gate: F32 | null, s0: F32, num: F32, dp: F32, src: I32, dst: I32, gq: F32,
  work: F32, gDx: F32 | null, gEx: F32 | null, gCe: F32 | null, gBx: F32 | null, ggate: F32 | null,
  xRows: number, outRows: number, cols: number): void {
  validate.gatedGcnMessageBackward(Bx, gate, s0, num, dp, src, dst, gq, work, gDx, gEx, gCe, gBx, ggate, xRows, outRows, cols);
  const n = outRows * cols;
  const gnum = work.subarray(0, n), gden = work.subarray(n, 2 * n);
  for (let i = 0; i < n; i++) {
    gnum[i] = 0 + gq[i] / dp[i];                          // div backward, a
    const b = dp[i];
    const gdp = Math.fround(0 + -gq[i] * num[i] / (b * b)); // div backward, b
    gden[i] = 0 + gdp;                                     // add_scalar backward
  }
  const E = src.length;
  for (let k = 0; k < E; k++) {
    const d = dst[k] * cols, j = src[k] * cols, o = k * cols;
    const gk = gate === null ? 1 : gate[k];
    let acc = 0;
    for (let c = 0; c < cols; c++) {
      const y = s0[o + c];
      // d/ds: the den scatter's contribution, then the mul's (the tape's order)
      const gs = Math.fround(gden[d + c] + gnum[d + c] * Bx[j + c]);
      if (gBx !== null) gBx[j + c] += Math.fround(0 + gnum[d + c] * (gate === null ? y : Math.fround(y * gk)));
      acc += gs * y;
      const gs0 = gate === null ? gs : Math.fround(0 + gs * gk);
      const gg = Math.fround(0 + gs0 * y * (1 - y));
      if (gCe !== null) gCe[o + c] += gg;
      if (gEx !== null) gEx[j + c] += gg;
      if (gDx !== null) gDx[d + c] += gg;
    }
    if (ggate !== null) ggate[k] += acc;
  }
}

/** The TypeScript backend (single-threaded; setThreads only records the number). */
export const tsKernels: Kernels = {
  name: 'ts',
  setThreads(n: number): void { validate.setThreads(n); threads = n; },
  getThreads(): number { return threads; },
  matmul, binary, binaryBackward, unary, unaryBackward, sumAxis, sumSquares,
  softmax, softmaxBackward, crossEntropy, bceWithLogits, l1,
  gatherRows, scatterAddRows, copyCols, addSliceCols,
  segmentReduce, segmentReduceBackward, batchNorm, batchNormBackward,
  attentionForward, attentionBackward, adamStep, sgdStep, uniformMask,
  decayMask, decayMaskBackward, decayTable, decayTableBackward, sumSquaresAdd, clipScale, gineMessage, gineMessageBackward,
  gatedGcnMessage, gatedGcnMessageBackward,
};
