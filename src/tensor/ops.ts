/**
 * Differentiable ops: each computes its forward with the active kernels and
 * records a backward that accumulates into its inputs' gradients.
 *
 * Shapes: 2-D ops read a tensor as [rows, cols] = [shape[0], product(rest)].
 */
import { kernels } from './active.js';
import type { Broadcast, BinaryOp, SegmentOp, UnaryOp } from './kernels.js';
import { Tensor, numel, record, scratch } from './tensor.js';

/** Anything that yields uniform floats in [0, 1): the project's seeded generator. */
export interface UniformSource {
  nextFloat(): number;
  /** Optional (Rng has them): lets masks be drawn by the uniformMask kernel from the same stream. */
  getState?(): { s: [number, number, number, number]; spare: number | null };
  setState?(st: { s: [number, number, number, number]; spare: number | null }): void;
}

/**
 * out[i] = (below ? u < threshold : u >= threshold) ? keep : 0 for successive
 * u = rng.nextFloat(). With a generator that exposes its xoshiro128** state (Rng)
 * the uniformMask kernel draws the same values natively (~20x faster than the JS
 * loop for attention-dropout masks of H * sum n^2 entries) and the generator ends
 * in the same state; any other UniformSource is called element by element.
 */
export function uniformMaskFrom(rng: UniformSource, out: Float32Array, threshold: number, keep: number, below: boolean): void {
  if (rng.getState && rng.setState) {
    const st = rng.getState();
    const words = Uint32Array.from(st.s);
    kernels().uniformMask(words, out, threshold, keep, below);
    rng.setState({ s: [words[0], words[1], words[2], words[3]], spare: st.spare });
    return;
  }
  const k = Math.fround(keep);
  for (let i = 0; i < out.length; i++) {
    const u = rng.nextFloat();
    out[i] = (below ? u < threshold : u >= threshold) ? k : 0;
  }
}

const fmt = (t: Tensor) => `[${t.shape.join(', ')}]`;

function want(ok: boolean, op: string, msg: () => string): void {
  if (!ok) throw new Error(`${op}: ${msg()}`);
}

// ------------------------------------------------------------------ matmul

/**
 * op(a) @ op(b): a [m, k] (or [k, m] with transA), b [k, n] (or [n, k] with transB) -> [m, n].
 */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const [m, ka, n] = matmulDims('matmul', a, b, transA, transB);
  const K = kernels();
  const out = Tensor.output([m, n], false);
  K.matmul(a.data, b.data, out.data, m, ka, n, transA, transB, false);
  return record(out, [a, b], () => matmulBackward(a, b, out.grad!, m, ka, n, transA, transB));
}

/** [m, k, n] of op(a) @ op(b), checked. */
function matmulDims(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean): [number, number, number] {
  want(a.shape.length === 2 && b.shape.length === 2, op, () => `needs 2-D tensors, got ${fmt(a)} and ${fmt(b)}`);
  const [m, ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  want(ka === kb, op, () => `inner dimensions differ: ${fmt(a)}${transA ? '^T' : ''} x ${fmt(b)}${transB ? '^T' : ''}`);
  return [m, ka, n];
}

/** Accumulates the gradients of op(a) @ op(b) [m, n] with upstream g into a and b (those that need one). */
function matmulBackward(a: Tensor, b: Tensor, g: Float32Array, m: number, ka: number, n: number, transA: boolean, transB: boolean): void {
  const K = kernels();
  if (a.requiresGrad) {
    // dA = g op(b)^T  (or its transpose when a was transposed)
    if (!transA) K.matmul(g, b.data, a.gradBuffer(), m, n, ka, false, !transB, true);
    else K.matmul(b.data, g, a.gradBuffer(), ka, n, m, transB, true, true);
  }
  if (b.requiresGrad) {
    // dB = op(a)^T g  (or its transpose when b was transposed)
    if (!transB) K.matmul(a.data, g, b.gradBuffer(), ka, m, n, !transA, false, true);
    else K.matmul(g, a.data, b.gradBuffer(), n, m, ka, true, transA, true);
  }
}

/**
 * x [rows, in] -> x W^T + b with W [out, in] (PyTorch layout), b [out] or null.
 * One tape node and one output: the bias is added in place after the product (the
 * same two float32 roundings as matmul then add, so values and gradients are
 * unchanged), which saves a [rows, out] buffer, its gradient and a node per Linear.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  if (bias === null) return matmul(x, weight, false, true);
  const [m, k, n] = matmulDims('linear', x, weight, false, true);
  want(bias.size === n && bias.shape.length === 1, 'linear', () => `bias ${fmt(bias)} must be [${n}] for weight ${fmt(weight)}`);
  const K = kernels();
  const out = Tensor.output([m, n], false);
  // Bias added in the GEMM's store (the same float32 sum as a separate row add).
  K.matmul(x.data, weight.data, out.data, m, k, n, false, true, false, bias.data);
  return record(out, [x, weight, bias], () => {
    const g = out.grad!;
    matmulBackward(x, weight, g, m, k, n, false, true);
    if (bias.requiresGrad) K.binaryBackward('add', out.data, bias.data, g, null, bias.gradBuffer(), m, n, 'row');
  });
}

// ------------------------------------------------------------ element-wise

function broadcastOf(op: string, a: Tensor, b: Tensor): Broadcast {
  const rows = a.rows, cols = a.cols;
  if (b.size === a.size && (b.shape.length === a.shape.length || b.size === 1) && b.shape.every((d, i) => d === a.shape[i])) return 'full';
  if (b.size === 1) return 'scalar';
  if (b.size === cols && (b.shape.length === 1 || (b.shape.length === 2 && b.shape[0] === 1))) return 'row';
  if (b.size === rows && b.shape.length === 2 && b.shape[0] === rows && b.shape[1] === 1) return 'col';
  if (b.size === a.size) return 'full';
  throw new Error(`${op}: cannot broadcast ${fmt(b)} to ${fmt(a)} (b must be the same shape, [cols], [1, cols], [rows, 1] or a scalar)`);
}

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const bc = broadcastOf(op, a, b);
  const K = kernels();
  const out = Tensor.output(a.shape, false);
  K.binary(op, a.data, b.data, out.data, a.rows, a.cols, bc);
  return record(out, [a, b], () => {
    K.binaryBackward(op, a.data, b.data, out.grad!,
      a.requiresGrad ? a.gradBuffer() : null, b.requiresGrad ? b.gradBuffer() : null,
      a.rows, a.cols, bc);
  });
}

/** a + b; b is a's shape, a row [cols], a column [rows, 1] or a scalar. */
export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
/** a - b (broadcasting as `add`). */
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
/** a * b (broadcasting as `add`). */
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
/** a / b (broadcasting as `add`). */
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);

function unary(op: UnaryOp, x: Tensor, p = 0): Tensor {
  const K = kernels();
  const out = Tensor.output(x.shape, false);
  K.unary(op, x.data, out.data, p);
  return record(out, [x], () => {
    K.unaryBackward(op, x.data, out.data, out.grad!, x.gradBuffer(), p);
  });
}

export const relu = (x: Tensor) => unary('relu', x);
export const leakyRelu = (x: Tensor, slope: number) => unary('leaky_relu', x, slope);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const scale = (x: Tensor, s: number) => unary('scale', x, s);
export const addScalar = (x: Tensor, s: number) => unary('add_scalar', x, s);

/**
 * base ** x element-wise, for a scalar base (a number, or a 1-element tensor whose
 * gradient d/dbase = sum g * x * base^(x-1) is accumulated too). base > 0.
 */
export function powBase(base: number | Tensor, x: Tensor): Tensor {
  const K = kernels();
  const p = typeof base === 'number' ? base : base.item();
  want(p > 0, 'powBase', () => `base must be > 0, got ${p}`);
  const out = Tensor.output(x.shape, false);
  K.unary('pow_base', x.data, out.data, p);
  const inputs = typeof base === 'number' ? [x] : [x, base];
  return record(out, inputs, () => {
    const gp = K.unaryBackward('pow_base', x.data, out.data, out.grad!, x.requiresGrad ? x.gradBuffer() : null, p);
    if (typeof base !== 'number' && base.requiresGrad) base.gradBuffer()[0] += gp;
  });
}

// -------------------------------------------------------------- decay mask

/**
 * Gradformer's decay mask, fused: M = gamma_h ** leaky_relu(psi - hop_h, slope)
 * in mask layout (per graph a block [H, n_b, n_b], graph b's packed distances
 * psi [n_b, n_b] at spd[spdPtr[b]..]), returned as [H * spd.length, 1].
 * hop: [H] (any shape of H elements). Fixed gamma: `logGamma` null, M = gamma ** e.
 * Learnable gamma: `logGamma` [H] = log(gamma_h), M = exp(e * logGamma_h), and
 * gradients reach it. D = max distance + 1 (every psi < D).
 *
 * The values are exactly those of the unfused chain (float32 sub, leaky_relu,
 * then pow / mul+exp rounded to float32): they depend only on (h, psi), so a
 * [H, D] table is computed here and the kernel only lays it out. The backward
 * buckets the upstream gradient by (h, psi) in double and forms dL/dhop_h =
 * -sum_psi S * dM/de * leaky'(psi - hop_h) with leaky'(0) = slope (as PyTorch) and
 * dL/dlogGamma_h = sum_psi S * M * e.
 */
export function decayMask(spd: Uint16Array, spdPtr: Int32Array, D: number, hop: Tensor, gamma: number,
  slope: number, logGamma: Tensor | null = null): Tensor {
  const H = hop.size;
  want(logGamma === null || logGamma.size === H, 'decayMask', () => `logGamma ${fmt(logGamma!)} needs ${H} values (one per head)`);
  want(logGamma !== null || gamma > 0, 'decayMask', () => `gamma must be > 0, got ${gamma}`);
  const K = kernels();
  const table = new Float32Array(H * D);
  const pre = new Float32Array(H * D); // psi - hop_h
  const ev = new Float32Array(H * D);  // leaky_relu(psi - hop_h)
  for (let h = 0; h < H; h++) {
    const hv = hop.data[h], lg = logGamma === null ? 0 : logGamma.data[h];
    for (let d = 0; d < D; d++) {
      const i = h * D + d;
      // Each step stored to float32, as the unfused kernels did.
      pre[i] = d - hv;
      const x = pre[i];
      ev[i] = x > 0 ? x : slope * x;
      const e = ev[i];
      table[i] = logGamma === null ? Math.pow(gamma, e) : Math.exp(Math.fround(e * lg));
    }
  }
  const out = Tensor.output([H * spd.length, 1]);
  K.decayMask(spd, spdPtr, H, table, D, out.data);
  const inputs = logGamma === null ? [hop] : [hop, logGamma];
  return record(out, inputs, () => {
    const sums = new Float64Array(H * D);
    K.decayMaskBackward(spd, spdPtr, H, out.grad!, D, sums);
    const lnGamma = logGamma === null ? Math.log(gamma) : 0;
    for (let h = 0; h < H; h++) {
      let gh = 0, gl = 0;
      const lg = logGamma === null ? lnGamma : logGamma.data[h];
      for (let d = 0; d < D; d++) {
        const i = h * D + d, S = sums[i];
        if (S === 0) continue;
        const dz = S * table[i]; // dL/d(e * log gamma)
        gh -= dz * lg * (pre[i] > 0 ? 1 : slope);
        gl += dz * ev[i];
      }
      if (hop.requiresGrad) hop.gradBuffer()[h] += gh;
      if (logGamma !== null && logGamma.requiresGrad) logGamma.gradBuffer()[h] += gl;
    }
  });
}

// -------------------------------------------------------------- reductions

/** Sum over an axis of x [rows, cols] (axis 0 -> [cols], axis 1 -> [rows, 1]), or of everything -> scalar. */
export function sum(x: Tensor, axis?: 0 | 1): Tensor {
  const K = kernels();
  const rows = axis === undefined ? 1 : x.rows;
  const cols = axis === undefined ? x.size : x.cols;
  const ax: 0 | 1 = axis === undefined ? 1 : axis;
  const shape = axis === undefined ? [] : axis === 0 ? [cols] : [rows, 1];
  const out = Tensor.output(shape);
  K.sumAxis(x.data, out.data, rows, cols, ax);
  return record(out, [x], () => {
    // Broadcast the upstream gradient back: gx += g (row or column broadcast).
    const bc: Broadcast = ax === 0 ? 'row' : 'col';
    const gx = x.gradBuffer();
    K.binary('add', gx, out.grad!, gx, rows, cols, bc);
  });
}

/** Mean over an axis (see `sum`), or of everything. */
export function mean(x: Tensor, axis?: 0 | 1): Tensor {
  const n = axis === undefined ? x.size : axis === 0 ? x.rows : x.cols;
  return scale(sum(x, axis), 1 / Math.max(n, 1));
}

// ----------------------------------------------------------------- softmax

/** Row-wise softmax of x [rows, cols]. */
export function softmax(x: Tensor): Tensor {
  return softmaxImpl(x, false);
}

/** Row-wise log-softmax of x [rows, cols]. */
export function logSoftmax(x: Tensor): Tensor {
  return softmaxImpl(x, true);
}

function softmaxImpl(x: Tensor, isLog: boolean): Tensor {
  const K = kernels();
  const out = Tensor.output(x.shape);
  K.softmax(x.data, out.data, x.rows, x.cols, isLog);
  return record(out, [x], () => K.softmaxBackward(out.data, out.grad!, x.gradBuffer(), x.rows, x.cols, isLog));
}

// ------------------------------------------------------------------ losses

/** Scalar loss whose gradient w.r.t. `x` was computed in the forward (scaled by the upstream). */
function lossWithGrad(x: Tensor, value: number, grad: Float32Array): Tensor {
  const out = Tensor.scalar(value);
  return record(out, [x], () => {
    const g = out.grad![0];
    const gx = x.gradBuffer();
    for (let i = 0; i < grad.length; i++) gx[i] += g * grad[i];
  });
}

/**
 * Cross-entropy of logits [rows, classes] against class ids [rows] (PyTorch
 * semantics; with class weights [classes] the weighted mean).
 */
export function crossEntropy(logits: Tensor, target: Int32Array, weight: Float32Array | null = null): Tensor {
  want(logits.shape.length === 2, 'crossEntropy', () => `logits must be [rows, classes], got ${fmt(logits)}`);
  want(target.length === logits.rows, 'crossEntropy', () => `target has ${target.length} entries for logits ${fmt(logits)}`);
  const grad = new Float32Array(logits.size);
  const v = kernels().crossEntropy(logits.data, target, weight, grad, logits.rows, logits.cols);
  return lossWithGrad(logits, v, grad);
}

/** BCE-with-logits, mean over the entries whose mask is 1 (missing labels masked out). */
export function bceWithLogits(logits: Tensor, target: Float32Array, mask: Uint8Array | null = null): Tensor {
  want(target.length === logits.size, 'bceWithLogits', () => `target has ${target.length} entries for logits ${fmt(logits)}`);
  const grad = new Float32Array(logits.size);
  const v = kernels().bceWithLogits(logits.data, target, mask, grad);
  return lossWithGrad(logits, v, grad);
}

/** Mean absolute error between x and a constant target of the same size. */
export function l1Loss(x: Tensor, target: Float32Array): Tensor {
  want(target.length === x.size, 'l1Loss', () => `target has ${target.length} entries for input ${fmt(x)}`);
  const grad = new Float32Array(x.size);
  const v = kernels().l1(x.data, target, grad);
  return lossWithGrad(x, v, grad);
}

// ---------------------------------------------------------- gather/scatter

/** out[r] = x[idx[r]] for x [rows, cols] -> [idx.length, cols...]. Index select / embedding lookup. */
export function gatherRows(x: Tensor, idx: Int32Array): Tensor {
  const K = kernels();
  const shape = [idx.length, ...x.shape.slice(1)];
  const out = Tensor.output(shape, false);
  K.gatherRows(x.data, idx, out.data, x.rows, x.cols);
  return record(out, [x], () => K.scatterAddRows(out.grad!, idx, x.gradBuffer(), x.rows, x.cols));
}

/** out[idx[r]] += src[r] into a zero tensor [outRows, cols]: message aggregation. */
export function scatterAddRows(src: Tensor, idx: Int32Array, outRows: number): Tensor {
  want(idx.length === src.rows, 'scatterAddRows', () => `index has ${idx.length} entries for src ${fmt(src)}`);
  const K = kernels();
  const out = Tensor.output([outRows, ...src.shape.slice(1)]);
  K.scatterAddRows(src.data, idx, out.data, outRows, src.cols);
  return record(out, [src], () => {
    // gsrc[r] += gout[idx[r]]: a gather into a temporary, then add.
    const tmp = scratch.take(src.size);
    K.gatherRows(out.grad!, idx, tmp, outRows, src.cols);
    const gs = src.gradBuffer();
    K.binary('add', gs, tmp, gs, src.rows, src.cols, 'full');
    scratch.give(tmp);
  });
}

/**
 * GINE's message and sum aggregation, fused: out[i] = sum over edges k with
 * dst[k] = i of relu(x[src[k]] + e[k]). x [N, C], e [E, C], src/dst [E] -> [outRows, C].
 * Equals scatterAddRows(relu(add(gatherRows(x, src), e)), dst, outRows) value for
 * value, without the three [E, C] temporaries (the backward recomputes x[src] + e).
 */
export function gineMessage(x: Tensor, e: Tensor, src: Int32Array, dst: Int32Array, outRows: number): Tensor {
  want(x.shape.length === 2 && e.shape.length === 2 && e.cols === x.cols && e.rows === src.length, 'gineMessage',
    () => `needs x [N, C] and e [E, C] with E = ${src.length} edges, got x ${fmt(x)}, e ${fmt(e)}`);
  const K = kernels();
  const out = Tensor.output([outRows, x.cols]);
  K.gineMessage(x.data, e.data, src, dst, out.data, x.rows, outRows, x.cols);
  return record(out, [x, e], () => {
    K.gineMessageBackward(x.data, e.data, src, dst, out.grad!, x.requiresGrad ? x.gradBuffer() : null,
      e.requiresGrad ? e.gradBuffer() : null, x.rows, outRows, x.cols);
  });
}

/**
 * GatedGCN's message, gate and normalised aggregation, fused. Dx, Ex, Bx [N, C]
 * (D x, E x, B x), Ce [E, C], gate [E, 1] or null, src/dst [E] (messages src -> dst):
 *   g = gatherRows(Dx, dst) + gatherRows(Ex, src) + Ce,  s = sigmoid(g) (* gate)
 *   q = scatterAddRows(s * gatherRows(Bx, src), dst) / (scatterAddRows(s, dst) + eps)
 * Returns q [outRows, C] (on the tape: gradients reach Dx, Ex, Ce, Bx and gate) and
 * g [E, C] (values only, for bn_edge_e's running statistics; no gradient flows
 * through it). Values and gradients equal the unfused chain bit for bit, on either
 * backend and any thread count; no [E, C] temporaries besides g and the saved
 * sigmoid. The inputs must be distinct tensors (the backward adds into each once).
 */
export function gatedGcnMessage(Dx: Tensor, Ex: Tensor, Ce: Tensor, Bx: Tensor, gate: Tensor | null,
  src: Int32Array, dst: Int32Array, outRows: number, eps: number): { q: Tensor; g: Tensor } {
  const N = Dx.rows, C = Dx.cols, E = src.length;
  want(Dx.shape.length === 2 && [Ex, Bx].every((t) => t.shape.length === 2 && t.rows === N && t.cols === C)
    && Ce.shape.length === 2 && Ce.rows === E && Ce.cols === C, 'gatedGcnMessage',
  () => `needs Dx, Ex, Bx [N, C] and Ce [E, C] with E = ${E} edges, got Dx ${fmt(Dx)}, Ex ${fmt(Ex)}, Bx ${fmt(Bx)}, Ce ${fmt(Ce)}`);
  want(gate === null || gate.size === E, 'gatedGcnMessage', () => `gate ${fmt(gate!)} needs one value per edge (${E})`);
  const inputs = gate === null ? [Dx, Ex, Ce, Bx] : [Dx, Ex, Ce, Bx, gate];
  want(new Set(inputs).size === inputs.length, 'gatedGcnMessage', () => 'Dx, Ex, Ce, Bx and gate must be distinct tensors');
  const K = kernels();
  const g = Tensor.output([E, C], false);
  const q = Tensor.output([outRows, C], false);
  const s0 = scratch.takeRaw(E * C), num = scratch.takeRaw(outRows * C), dp = scratch.takeRaw(outRows * C);
  K.gatedGcnMessage(Dx.data, Ex.data, Ce.data, Bx.data, gate?.data ?? null, src, dst, g.data, s0, num, dp, q.data,
    N, outRows, C, eps);
  const release = () => { scratch.give(s0); scratch.give(num); scratch.give(dp); };
  // Parents in the order the chain's tape reached them (D x, E x, C e, the gate, B x): the
  // backward then visits the Linear layers behind them in the same order, so gradients
  // they share (x's) are summed in the same order as before.
  const parents = gate === null ? [Dx, Ex, Ce, Bx] : [Dx, Ex, Ce, gate, Bx];
  const out = record(q, parents, () => {
    const work = scratch.takeRaw(2 * outRows * C);
    const gb = (t: Tensor) => (t.requiresGrad ? t.gradBuffer() : null);
    K.gatedGcnMessageBackward(Bx.data, gate?.data ?? null, s0, num, dp, src, dst, q.grad!, work,
      gb(Dx), gb(Ex), gb(Ce), gb(Bx), gate === null ? null : gb(gate), N, outRows, C);
    scratch.give(work);
    release();
  });
  if (out.backwardFn === null) release(); // nothing recorded (no gradients): the saved arrays are dead now
  return { q: out, g };
}

/** Embedding lookup: weight [vocab, dim], ids [n] -> [n, dim]. */
export function embedding(weight: Tensor, ids: Int32Array): Tensor {
  return gatherRows(weight, ids);
}

/** Concatenate 2-D tensors with equal row counts along the columns. */
export function concatCols(parts: readonly Tensor[]): Tensor {
  want(parts.length > 0, 'concatCols', () => 'needs at least one tensor');
  const rows = parts[0].rows;
  for (const p of parts) {
    want(p.rows === rows, 'concatCols', () => `row counts differ: ${parts.map(fmt).join(', ')}`);
  }
  const K = kernels();
  const total = parts.reduce((s, p) => s + p.cols, 0);
  const out = Tensor.output([rows, total]);
  let off = 0;
  const offs: number[] = [];
  for (const p of parts) {
    offs.push(off);
    K.copyCols(p.data, out.data, rows, p.cols, total, off);
    off += p.cols;
  }
  return record(out, parts, () => {
    parts.forEach((p, i) => {
      if (p.requiresGrad) K.addSliceCols(out.grad!, p.gradBuffer(), rows, total, p.cols, offs[i]);
    });
  });
}

// ---------------------------------------------------------------- segments

/** Reduce sorted row segments of x [N, cols] (ptr [S+1]) -> [S, cols]: graph pooling. */
export function segmentReduce(x: Tensor, ptr: Int32Array, op: SegmentOp): Tensor {
  const K = kernels();
  const S = ptr.length - 1;
  const out = Tensor.output([S, x.cols]);
  const argmax = op === 'max' ? new Int32Array(S * x.cols) : null;
  K.segmentReduce(op, x.data, ptr, out.data, x.cols, argmax);
  return record(out, [x], () => K.segmentReduceBackward(op, out.grad!, ptr, x.gradBuffer(), x.cols, argmax));
}

// ------------------------------------------------------------ regularisers

/** Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, training: boolean, rng: UniformSource): Tensor {
  if (!training || p === 0) return x;
  want(p >= 0 && p < 1, 'dropout', () => `p must be in [0, 1), got ${p}`);
  const m = new Float32Array(x.size);
  uniformMaskFrom(rng, m, p, 1 / (1 - p), false);
  return mul(x, new Tensor(m, x.shape));
}

/**
 * Drop-path (stochastic depth) per row of x [rows, cols]: a whole row is zeroed
 * with probability p, kept rows scaled by 1/(1-p). As the official code, it is
 * applied whenever p > 0 (it does not look at train/eval).
 */
export function dropPath(x: Tensor, p: number, rng: UniformSource): Tensor {
  if (p === 0) return x;
  want(p >= 0 && p < 1, 'dropPath', () => `p must be in [0, 1), got ${p}`);
  const m = new Float32Array(x.rows);
  uniformMaskFrom(rng, m, 1 - p, 1 / (1 - p), true);
  return mul(x, new Tensor(m, [x.rows, 1]));
}

// -------------------------------------------------------------- batch norm

/** Running statistics and options of a BatchNorm1d (buffers updated in place). */
export interface BatchNormState {
  runningMean: Float32Array | null;
  runningVar: Float32Array | null;
  momentum: number;
  eps: number;
}

/**
 * BatchNorm1d over the rows of x [rows, C] (PyTorch semantics: biased variance
 * normalises, unbiased updates the running variance). Updates running stats in training.
 */
export function batchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null,
  state: BatchNormState, training: boolean): Tensor {
  const C = x.cols;
  want(x.shape.length === 2, 'batchNorm', () => `input must be [rows, channels], got ${fmt(x)}`);
  want(!weight || weight.size === C, 'batchNorm', () => `weight ${weight ? fmt(weight) : ''} does not match ${C} channels`);
  if (training && x.rows <= 1) {
    throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${fmt(x)}`);
  }
  const K = kernels();
  const out = Tensor.output(x.shape);
  const saveMean = new Float32Array(C);
  const saveInvStd = new Float32Array(C);
  K.batchNorm(x.data, out.data, x.rows, C, weight?.data ?? null, bias?.data ?? null,
    state.runningMean, state.runningVar, training, state.momentum, state.eps, saveMean, saveInvStd);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, inputs, () => {
    K.batchNormBackward(x.data, out.grad!, x.rows, C, weight?.data ?? null, saveMean, saveInvStd, training,
      x.requiresGrad ? x.gradBuffer() : null,
      weight?.requiresGrad ? weight.gradBuffer() : null,
      bias?.requiresGrad ? bias.gradBuffer() : null);
  });
}

// --------------------------------------------------------------- attention

/**
 * Ragged masked multi-head attention over graphs packed back to back.
 * q, k, v: [N, H*dk] (head h owns columns h*dk..(h+1)*dk-1); mask: per graph
 * [H, n_b, n_b] blocks in graph order (a tensor of H*sum(n_b^2) values, gradients
 * flow into it); graphPtr [B+1]. Returns [N, H*dk] and the attention probabilities
 * (before dropout, mask layout) for inspection. With `keepProbs: false` the caller
 * promises not to keep `probs`: it and the dropout mask then come from the scratch
 * pool and go back to it after the backward (or with the no-grad `scoped()` region),
 * instead of two fresh H*sum(n^2) arrays per layer and batch.
 */
export function raggedAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, graphPtr: Int32Array,
  heads: number, opts: { dropout?: number; training?: boolean; rng?: UniformSource; keepProbs?: boolean } = {}): { out: Tensor; probs: Float32Array } {
  const N = q.rows;
  want(q.shape.length === 2 && q.cols % heads === 0, 'raggedAttention', () => `q ${fmt(q)} is not [N, heads*dk] with heads=${heads}`);
  want(k.size === q.size && v.size === q.size, 'raggedAttention', () => `q ${fmt(q)}, k ${fmt(k)}, v ${fmt(v)} differ`);
  want(graphPtr.length >= 1 && graphPtr[graphPtr.length - 1] === N, 'raggedAttention',
    () => `graphPtr ends at ${graphPtr[graphPtr.length - 1]}, expected N=${N}`);
  const dk = q.cols / heads;
  const K = kernels();
  const out = Tensor.output(q.shape);
  const pooled = opts.keepProbs === false;
  // The kernel writes every probability and the mask draw every entry: no zero-fill needed.
  const probs = pooled ? scratchBuffer(mask.size) : new Float32Array(mask.size);
  let drop: Float32Array | null = null;
  const p = opts.dropout ?? 0;
  if (opts.training && p > 0) {
    want(opts.rng !== undefined, 'raggedAttention', () => 'attention dropout needs an rng');
    drop = pooled ? scratchBuffer(mask.size) : new Float32Array(mask.size);
    uniformMaskFrom(opts.rng!, drop, p, 1 / (1 - p), false);
  }
  const sc = 1 / Math.sqrt(dk);
  K.attentionForward(q.data, k.data, v.data, mask.data, graphPtr, heads, dk, sc, drop, out.data, probs);
  const res = record(out, [q, k, v, mask], () => {
    K.attentionBackward(q.data, k.data, v.data, mask.data, graphPtr, heads, dk, sc, drop, probs, out.grad!,
      q.requiresGrad ? q.gradBuffer() : null, k.requiresGrad ? k.gradBuffer() : null,
      v.requiresGrad ? v.gradBuffer() : null, mask.requiresGrad ? mask.gradBuffer() : null);
    if (pooled) {
      // The tape runs this closure once and drops it: nothing reads them again.
      scratch.give(probs);
      if (drop) scratch.give(drop);
    }
  });
  return { out: res, probs };
}

/** An uninitialised pooled buffer, released with the `scoped()` region if one is open. */
function scratchBuffer(n: number): Float32Array {
  return Tensor.output([n], false).data;
}

export { numel };
