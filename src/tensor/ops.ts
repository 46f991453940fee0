/**
 * Differentiable ops: each computes its forward with the kernels of its inputs'
 * device and records a backward that accumulates into its inputs' gradients.
 * Inputs on different devices are an error; index arrays (host typed arrays) go
 * to the device through `Device.index`, once per array.
 *
 * Shapes: 2-D ops read a tensor as [rows, cols] = [shape[0], product(rest)].
 */
import { kernels } from './active.js';
import type { Device, DeviceArray, Storage } from './device.js';
import type { Broadcast, BinaryOp, SegmentOp, UnaryOp } from './kernels.js';
import { Tensor, addInto, numel, record } from './tensor.js';

/** Anything that yields uniform floats in [0, 1): the project's seeded generator. */
export interface UniformSource {
  nextFloat(): number;
  /** Optional (Rng has them): lets masks be drawn by the uniformMask kernel from the same stream. */
  getState?(): { s: [number, number, number, number]; spare: number | null };
  setState?(st: { s: [number, number, number, number]; spare: number | null }): void;
  /** Optional (Rng has them): a device keeps the state words between masks (Rng.lend). */
  lend?(fetch: () => [number, number, number, number]): void;
  lentTo?(): (() => [number, number, number, number]) | null;
}

/** Per generator, its state words on a device, and the fetch they were lent to it with. */
const deviceStates = new WeakMap<UniformSource, { device: Device; words: Storage | Uint32Array; fetch: () => [number, number, number, number] }>();

/**
 * A mask of n values as uniformMaskFrom draws it, in a buffer of device D. On a
 * device other than cpu, with a generator that lends its state (Rng), the uniformMask
 * kernel draws it there from the state words kept on the device since the last mask:
 * the same values and generator state as on the host, without an upload per mask
 * (the host fetches the words back when it next draws or reads the state, e.g. for a
 * checkpoint). Otherwise drawn on the host and uploaded.
 */
function maskOn(D: Device, rng: UniformSource, n: number, threshold: number, keep: number, below: boolean): Storage {
  if (D.name === 'cpu' || !rng.getState || !rng.lend || !rng.lentTo) {
    const m = new Float32Array(n);
    uniformMaskFrom(rng, m, threshold, keep, below);
    return upload(D, m);
  }
  let st = deviceStates.get(rng);
  if (st === undefined || st.device !== D || rng.lentTo() !== st.fetch) {
    // The words lent before are stale (the host took the state back): given back, not left to a finalizer.
    if (st !== undefined) st.device.give(st.words as DeviceArray);
    const words = D.index(Uint32Array.from(rng.getState().s)); // the one upload, until the host takes the state back
    const fetch = (): [number, number, number, number] => {
      const w = D.read(words as Uint32Array);
      return [w[0], w[1], w[2], w[3]];
    };
    st = { device: D, words, fetch };
    deviceStates.set(rng, st);
    rng.lend(fetch);
  }
  const out = D.take(n, false);
  D.kernels().uniformMask(st.words, out, threshold, keep, below);
  return out;
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

/** The device every given tensor lives on; tensors on different devices are an error. */
function on(op: string, ...ts: (Tensor | null | undefined)[]): Device {
  let d: Device | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (d === null) d = t.device;
    else if (t.device !== d) {
      throw new Error(`${op}: inputs on different devices (${d.name} and ${t.device.name}); move one with .to('${d.name}')`);
    }
  }
  return d as Device;
}

/** The gradient buffer of t when it needs one, else null. */
const gradOf = (t: Tensor | null | undefined): Storage | null => (t && t.requiresGrad ? t.gradBuffer() : null);

/**
 * Gives device buffers that only `out`'s backward reads (saved statistics, a loss
 * gradient, a dropout mask) back to device d after that backward, which the tape runs
 * once, or at once when `out` has none (no tape). Dropped instead, they would wait for
 * finalizers, which run only when the event loop turns: never in a synchronous trainer
 * (docs/CUDA.md, Lifetimes). On cpu they are plain arrays, left to the collector.
 */
function giveAfterBackward(out: Tensor, d: Device, bufs: readonly Storage[]): Tensor {
  if (d.name === 'cpu') return out;
  const give = () => { for (const b of bufs) d.give(b); };
  const fn = out.backwardFn;
  if (fn === null) give();
  else out.backwardFn = () => { fn(); give(); };
  return out;
}

/** A host array of small per-op values (a decay table, a dropout mask) on device d. */
const upload = (d: Device, a: Float32Array): Storage => d.fromHost(a);

/** g[i] += add[i] for a small host array `add`, on g's device (per-head gradients). */
function addHost(d: Device, g: Storage, add: Float32Array): void {
  if (g instanceof Float32Array) {
    for (let i = 0; i < add.length; i++) g[i] += add[i];
    return;
  }
  addInto(g, d.fromHost(add), d);
}

// ------------------------------------------------------------------ matmul

/**
 * op(a) @ op(b): a [m, k] (or [k, m] with transA), b [k, n] (or [n, k] with transB) -> [m, n].
 */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const [m, ka, n] = matmulDims('matmul', a, b, transA, transB);
  const D = on('matmul', a, b);
  const out = Tensor.output([m, n], false, D);
  D.kernels().matmul(a.storage, b.storage, out.storage, m, ka, n, transA, transB, false);
  return record(out, [a, b], () => matmulBackward(a, b, out.gradStorage!, m, ka, n, transA, transB));
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
function matmulBackward(a: Tensor, b: Tensor, g: Storage, m: number, ka: number, n: number, transA: boolean, transB: boolean): void {
  const K = a.device.kernels();
  // A first gradient contribution overwrites an unzeroed buffer (see Tensor.gradTarget).
  if (a.requiresGrad) {
    // dA = g op(b)^T  (or its transpose when a was transposed)
    const { buf, accumulate } = a.gradTarget();
    if (!transA) K.matmul(g, b.storage, buf, m, n, ka, false, !transB, accumulate);
    else K.matmul(b.storage, g, buf, ka, n, m, transB, true, accumulate);
  }
  if (b.requiresGrad) {
    // dB = op(a)^T g  (or its transpose when b was transposed)
    const { buf, accumulate } = b.gradTarget();
    if (!transB) K.matmul(a.storage, g, buf, ka, m, n, !transA, false, accumulate);
    else K.matmul(g, a.storage, buf, n, m, ka, true, transA, accumulate);
  }
}

/**
 * x [rows, in] -> x W^T + b with W [out, in] (PyTorch layout), b [out] or null;
 * with `residual` [rows, out], (x W^T + b) + residual (a residual connection's add);
 * with `relu`, relu of that (Linear then ReLU).
 * One tape node and one output: the bias and the residual are added, and the relu
 * taken, in the GEMM's store (the same float32 values as matmul, add, add and relu one
 * after the other, so values and gradients are unchanged), which saves a [rows, out]
 * buffer, its gradient, a pass and a node for each of them.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null, relu = false, residual: Tensor | null = null): Tensor {
  if (bias === null && !relu && residual === null) return matmul(x, weight, false, true);
  const [m, k, n] = matmulDims('linear', x, weight, false, true);
  want(bias === null || (bias.size === n && bias.shape.length === 1), 'linear', () => `bias ${fmt(bias!)} must be [${n}] for weight ${fmt(weight)}`);
  want(residual === null || (residual.size === m * n && residual.rows === m), 'linear',
    () => `residual ${fmt(residual!)} must be [${m}, ${n}] for x ${fmt(x)} and weight ${fmt(weight)}`);
  const D = on('linear', x, weight, bias, residual);
  const K = D.kernels();
  const out = Tensor.output(residual === null ? [m, n] : residual.shape, false, D);
  K.matmul(x.storage, weight.storage, out.storage, m, k, n, false, true, false, bias?.storage ?? null, relu, residual?.storage ?? null);
  const inputs = [x, weight];
  if (bias !== null) inputs.push(bias);
  if (residual !== null) inputs.push(residual);
  return record(out, inputs, () => {
    let g = out.gradStorage!;
    let gz: Storage | null = null;
    if (relu) {
      // ReLU's backward as its own node ran it: 0 + (y > 0 ? g : 0) into zeros, where
      // y > 0 exactly where the pre-activation is (relu keeps positives, sends the rest to 0).
      gz = D.take(m * n);
      K.unaryBackward('relu', out.storage, out.storage, g, gz, 0);
      g = gz;
    }
    if (residual !== null && residual.requiresGrad) {
      // The residual add's backward as its own node ran it, before the product's: the
      // residual gets g. A first contribution takes out's gradient buffer itself, or a
      // copy where that buffer is not g (relu) or the product's backward below writes
      // the residual's gradient (it is x, weight or bias); later contributions add g.
      const add = () => K.binaryBackward('add', out.storage, residual.storage, g, null, residual.gradBuffer(), m, n, 'full');
      if (residual.gradStorage !== null || relu || residual === x || residual === weight || residual === bias) addGradTo(residual, g, add);
      else out.passGrad(residual); // g stays readable: nothing writes residual's gradient before this closure returns
    }
    matmulBackward(x, weight, g, m, k, n, false, true);
    if (bias !== null && bias.requiresGrad) K.binaryBackward('add', out.storage, bias.storage, g, null, bias.gradBuffer(), m, n, 'row');
    if (gz !== null) D.give(gz);
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
  const D = on(op, a, b);
  const K = D.kernels();
  const out = Tensor.output(a.shape, false, D);
  K.binary(op, a.storage, b.storage, out.storage, a.rows, a.cols, bc);
  return record(out, [a, b], () => {
    const g = out.gradStorage!;
    if (op === 'add' && bc === 'full' && a !== b) {
      // Residual adds: an input without a gradient yet takes g itself (Tensor.passGrad)
      // after the other input has read it; when both are fresh, the other gets a copy.
      if (a.requiresGrad && a.gradStorage === null) {
        if (b.requiresGrad) addGradTo(b, g, () => K.binaryBackward(op, a.storage, b.storage, g, null, b.gradBuffer(), a.rows, a.cols, bc));
        out.passGrad(a);
        return;
      }
      if (b.requiresGrad && b.gradStorage === null) {
        if (a.requiresGrad) addGradTo(a, g, () => K.binaryBackward(op, a.storage, b.storage, g, a.gradBuffer(), null, a.rows, a.cols, bc));
        out.passGrad(b);
        return;
      }
    }
    K.binaryBackward(op, a.storage, b.storage, g, gradOf(a), gradOf(b), a.rows, a.cols, bc);
  });
}

/**
 * t.grad += g for a full-size g: a host tensor's first contribution is a copy of g
 * into an unzeroed buffer (0 + g is g), anything else runs `accumulate`.
 */
function addGradTo(t: Tensor, g: Storage, accumulate: () => void): void {
  if (t.gradStorage === null && g instanceof Float32Array) {
    (t.gradTarget().buf as Float32Array).set(g);
    return;
  }
  accumulate();
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
  const D = x.device, K = D.kernels();
  const out = Tensor.output(x.shape, false, D);
  K.unary(op, x.storage, out.storage, p);
  return record(out, [x], () => {
    K.unaryBackward(op, x.storage, out.storage, out.gradStorage!, x.gradBuffer(), p);
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
  const D = on('powBase', x, typeof base === 'number' ? null : base), K = D.kernels();
  const p = typeof base === 'number' ? base : base.item();
  want(p > 0, 'powBase', () => `base must be > 0, got ${p}`);
  const out = Tensor.output(x.shape, false, D);
  K.unary('pow_base', x.storage, out.storage, p);
  const inputs = typeof base === 'number' ? [x] : [x, base];
  return record(out, inputs, () => {
    const gp = K.unaryBackward('pow_base', x.storage, out.storage, out.gradStorage!, gradOf(x), p);
    if (typeof base !== 'number' && base.requiresGrad) addHost(D, base.gradBuffer(), Float32Array.of(gp));
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
 * [H, D] table is computed first (decayTable, on hop's device: nothing is read
 * back on a GPU) and the mask kernel only lays it out. The backward buckets the
 * upstream gradient by (h, psi) in double and forms, on the device again
 * (decayTableBackward), dL/dhop_h = -sum_psi S * dM/de * leaky'(psi - hop_h)
 * with leaky'(0) = slope (as PyTorch) and dL/dlogGamma_h = sum_psi S * M * e.
 */
export function decayMask(spd: Uint16Array, spdPtr: Int32Array, D: number, hop: Tensor, gamma: number,
  slope: number, logGamma: Tensor | null = null): Tensor {
  const H = hop.size;
  want(logGamma === null || logGamma.size === H, 'decayMask', () => `logGamma ${fmt(logGamma!)} needs ${H} values (one per head)`);
  want(logGamma !== null || gamma > 0, 'decayMask', () => `gamma must be > 0, got ${gamma}`);
  const dev = on('decayMask', hop, logGamma), K = dev.kernels();
  const lg = logGamma === null ? null : logGamma.storage;
  const table = dev.take(H * D, false);
  K.decayTable(hop.storage, lg, H, D, gamma, slope, table);
  const out = Tensor.output([H * spd.length, 1], true, dev);
  K.decayMask(dev.index(spd), dev.index(spdPtr), H, table, D, out.storage);
  dev.give(table); // the backward recomputes its entries from hop, unchanged until the optimiser step
  const inputs = logGamma === null ? [hop] : [hop, logGamma];
  return record(out, inputs, () => {
    const sums = dev.array('f64', H * D);
    K.decayMaskBackward(dev.index(spd), dev.index(spdPtr), H, out.gradStorage!, D, sums);
    K.decayTableBackward(sums, hop.storage, lg, H, D, gamma, slope, gradOf(hop), logGamma === null ? null : gradOf(logGamma));
    // Given back, not left to a finalizer that a synchronous trainer never runs (docs/CUDA.md, Lifetimes).
    if (dev.name !== 'cpu') dev.give(sums as DeviceArray);
  });
}

// -------------------------------------------------------------- reductions

/** Sum over an axis of x [rows, cols] (axis 0 -> [cols], axis 1 -> [rows, 1]), or of everything -> scalar. */
export function sum(x: Tensor, axis?: 0 | 1): Tensor {
  const D = x.device, K = D.kernels();
  const rows = axis === undefined ? 1 : x.rows;
  const cols = axis === undefined ? x.size : x.cols;
  const ax: 0 | 1 = axis === undefined ? 1 : axis;
  const shape = axis === undefined ? [] : axis === 0 ? [cols] : [rows, 1];
  const out = Tensor.output(shape, true, D);
  K.sumAxis(x.storage, out.storage, rows, cols, ax);
  return record(out, [x], () => {
    // Broadcast the upstream gradient back: gx += g (row or column broadcast).
    const bc: Broadcast = ax === 0 ? 'row' : 'col';
    const gx = x.gradBuffer();
    K.binary('add', gx, out.gradStorage!, gx, rows, cols, bc);
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
  const D = x.device, K = D.kernels();
  const out = Tensor.output(x.shape, true, D);
  K.softmax(x.storage, out.storage, x.rows, x.cols, isLog);
  return record(out, [x], () => K.softmaxBackward(out.storage, out.gradStorage!, x.gradBuffer(), x.rows, x.cols, isLog));
}

// ------------------------------------------------------------------ losses

/**
 * Scalar loss whose gradient w.r.t. `x` was computed in the forward (scaled by the
 * upstream). The loss value comes back to the host (the kernel returns it): the one
 * value a training step reads. On a device the output lives there too.
 */
function lossWithGrad(x: Tensor, value: number, grad: Storage): Tensor {
  const D = x.device;
  const out = new Tensor(D.name === 'cpu' ? Float32Array.of(value) : D.fromHost(Float32Array.of(value)), []);
  // On a device, pooled as an op output, so that backward gives its buffer back: dropped,
  // it waits for a finalizer that a synchronous trainer never runs (docs/CUDA.md,
  // Lifetimes). `grad` goes back after the backward that reads it.
  if (D.name !== 'cpu') out.pooled = true;
  out.hostScalar = Math.fround(value); // item() (the trainer's log) then reads the device no second time
  record(out, [x], () => {
    const gx = x.gradBuffer();
    if (gx instanceof Float32Array && grad instanceof Float32Array) {
      const g = (out.gradStorage as Float32Array)[0];
      for (let i = 0; i < grad.length; i++) gx[i] += g * grad[i];
    } else {
      // gx += grad * upstream, the upstream a 1-element buffer broadcast as a scalar.
      D.kernels().binaryBackward('mul', grad, out.gradStorage!, grad, gx, null, 1, grad.length, 'scalar');
    }
  });
  return giveAfterBackward(out, D, [grad]);
}

/**
 * Cross-entropy of logits [rows, classes] against class ids [rows] (PyTorch
 * semantics; with class weights [classes] the weighted mean).
 */
export function crossEntropy(logits: Tensor, target: Int32Array, weight: Float32Array | null = null): Tensor {
  want(logits.shape.length === 2, 'crossEntropy', () => `logits must be [rows, classes], got ${fmt(logits)}`);
  want(target.length === logits.rows, 'crossEntropy', () => `target has ${target.length} entries for logits ${fmt(logits)}`);
  const D = logits.device;
  const grad = D.take(logits.size, false);
  const v = D.kernels().crossEntropy(logits.storage, D.index(target), weight === null ? null : D.index(weight), grad, logits.rows, logits.cols);
  return lossWithGrad(logits, v, grad);
}

/** BCE-with-logits, mean over the entries whose mask is 1 (missing labels masked out). */
export function bceWithLogits(logits: Tensor, target: Float32Array, mask: Uint8Array | null = null): Tensor {
  want(target.length === logits.size, 'bceWithLogits', () => `target has ${target.length} entries for logits ${fmt(logits)}`);
  const D = logits.device;
  const grad = D.take(logits.size, false);
  const v = D.kernels().bceWithLogits(logits.storage, D.index(target), mask === null ? null : D.index(mask), grad);
  return lossWithGrad(logits, v, grad);
}

/** Mean absolute error between x and a constant target of the same size. */
export function l1Loss(x: Tensor, target: Float32Array): Tensor {
  want(target.length === x.size, 'l1Loss', () => `target has ${target.length} entries for input ${fmt(x)}`);
  const D = x.device;
  const grad = D.take(x.size, false);
  const v = D.kernels().l1(x.storage, D.index(target), grad);
  return lossWithGrad(x, v, grad);
}

// ---------------------------------------------------------- gather/scatter

/** out[r] = x[idx[r]] for x [rows, cols] -> [idx.length, cols...]. Index select / embedding lookup. */
export function gatherRows(x: Tensor, idx: Int32Array): Tensor {
  const D = x.device, K = D.kernels(), di = D.index(idx);
  const shape = [idx.length, ...x.shape.slice(1)];
  const out = Tensor.output(shape, false, D);
  K.gatherRows(x.storage, di, out.storage, x.rows, x.cols);
  return record(out, [x], () => K.scatterAddRows(out.gradStorage!, di, x.gradBuffer(), x.rows, x.cols));
}

/** out[idx[r]] += src[r] into a zero tensor [outRows, cols]: message aggregation. */
export function scatterAddRows(src: Tensor, idx: Int32Array, outRows: number): Tensor {
  want(idx.length === src.rows, 'scatterAddRows', () => `index has ${idx.length} entries for src ${fmt(src)}`);
  const D = src.device, K = D.kernels(), di = D.index(idx);
  const out = Tensor.output([outRows, ...src.shape.slice(1)], true, D);
  K.scatterAddRows(src.storage, di, out.storage, outRows, src.cols);
  return record(out, [src], () => {
    // gsrc[r] += gout[idx[r]]: a gather into a temporary, then add.
    const tmp = D.take(src.size);
    K.gatherRows(out.gradStorage!, di, tmp, outRows, src.cols);
    const gs = src.gradBuffer();
    K.binary('add', gs, tmp, gs, src.rows, src.cols, 'full');
    D.give(tmp);
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
  const D = on('gineMessage', x, e), K = D.kernels(), ds = D.index(src), dd = D.index(dst);
  const out = Tensor.output([outRows, x.cols], true, D);
  K.gineMessage(x.storage, e.storage, ds, dd, out.storage, x.rows, outRows, x.cols);
  return record(out, [x, e], () => {
    K.gineMessageBackward(x.storage, e.storage, ds, dd, out.gradStorage!, gradOf(x), gradOf(e), x.rows, outRows, x.cols);
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
  const D = on('gatedGcnMessage', ...inputs), K = D.kernels(), ds = D.index(src), dd = D.index(dst);
  const g = Tensor.output([E, C], false, D);
  const q = Tensor.output([outRows, C], false, D);
  const s0 = D.take(E * C, false), num = D.take(outRows * C, false), dp = D.take(outRows * C, false);
  K.gatedGcnMessage(Dx.storage, Ex.storage, Ce.storage, Bx.storage, gate?.storage ?? null, ds, dd, g.storage, s0, num, dp, q.storage,
    N, outRows, C, eps);
  const release = () => { D.give(s0); D.give(num); D.give(dp); };
  // Parents in the order the chain's tape reached them (D x, E x, C e, the gate, B x): the
  // backward then visits the Linear layers behind them in the same order, so gradients
  // they share (x's) are summed in the same order as before.
  const parents = gate === null ? [Dx, Ex, Ce, Bx] : [Dx, Ex, Ce, gate, Bx];
  const out = record(q, parents, () => {
    const work = D.take(2 * outRows * C, false);
    K.gatedGcnMessageBackward(Bx.storage, gate?.storage ?? null, s0, num, dp, ds, dd, q.gradStorage!, work,
      gradOf(Dx), gradOf(Ex), gradOf(Ce), gradOf(Bx), gradOf(gate), N, outRows, C);
    D.give(work);
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
  const D = on('concatCols', ...parts), K = D.kernels();
  const total = parts.reduce((s, p) => s + p.cols, 0);
  const out = Tensor.output([rows, total], true, D);
  let off = 0;
  const offs: number[] = [];
  for (const p of parts) {
    offs.push(off);
    K.copyCols(p.storage, out.storage, rows, p.cols, total, off);
    off += p.cols;
  }
  return record(out, parts, () => {
    parts.forEach((p, i) => {
      if (p.requiresGrad) K.addSliceCols(out.gradStorage!, p.gradBuffer(), rows, total, p.cols, offs[i]);
    });
  });
}

// ---------------------------------------------------------------- segments

/** Reduce sorted row segments of x [N, cols] (ptr [S+1]) -> [S, cols]: graph pooling. */
export function segmentReduce(x: Tensor, ptr: Int32Array, op: SegmentOp): Tensor {
  const D = x.device, K = D.kernels(), dp = D.index(ptr);
  const S = ptr.length - 1;
  const out = Tensor.output([S, x.cols], true, D);
  const argmax = op === 'max' ? D.array('i32', S * x.cols) : null;
  K.segmentReduce(op, x.storage, dp, out.storage, x.cols, argmax);
  return record(out, [x], () => K.segmentReduceBackward(op, out.gradStorage!, dp, x.gradBuffer(), x.cols, argmax));
}

// ------------------------------------------------------------ regularisers

/** Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, training: boolean, rng: UniformSource): Tensor {
  if (!training || p === 0) return x;
  want(p >= 0 && p < 1, 'dropout', () => `p must be in [0, 1), got ${p}`);
  // The seeded generator's values, the same mask on every device (maskOn: drawn where x lives).
  const m = maskOn(x.device, rng, x.size, p, 1 / (1 - p), false);
  return giveAfterBackward(mul(x, new Tensor(m, x.shape)), x.device, [m]);
}

/**
 * Drop-path (stochastic depth) per row of x [rows, cols]: a whole row is zeroed
 * with probability p, kept rows scaled by 1/(1-p). As the official code, it is
 * applied whenever p > 0 (it does not look at train/eval).
 */
export function dropPath(x: Tensor, p: number, rng: UniformSource): Tensor {
  if (p === 0) return x;
  want(p >= 0 && p < 1, 'dropPath', () => `p must be in [0, 1), got ${p}`);
  const m = maskOn(x.device, rng, x.rows, 1 - p, 1 / (1 - p), true);
  return giveAfterBackward(mul(x, new Tensor(m, [x.rows, 1])), x.device, [m]);
}

// -------------------------------------------------------------- batch norm

/** Running statistics and options of a BatchNorm1d (buffers updated in place, on the input's device). */
export interface BatchNormState {
  runningMean: Storage | null;
  runningVar: Storage | null;
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
  const D = on('batchNorm', x, weight, bias), K = D.kernels();
  const out = Tensor.output(x.shape, false, D); // every element written: no zero-fill
  const saveMean = D.name === 'cpu' ? new Float32Array(C) : D.take(C);
  const saveInvStd = D.name === 'cpu' ? new Float32Array(C) : D.take(C);
  K.batchNorm(x.storage, out.storage, x.rows, C, weight?.storage ?? null, bias?.storage ?? null,
    state.runningMean, state.runningVar, training, state.momentum, state.eps, saveMean, saveInvStd);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  record(out, inputs, () => {
    K.batchNormBackward(x.storage, out.gradStorage!, x.rows, C, weight?.storage ?? null, saveMean, saveInvStd, training,
      gradOf(x), gradOf(weight), gradOf(bias));
  });
  // The saved statistics go back to the device as soon as nothing will read them.
  return giveAfterBackward(out, D, [saveMean, saveInvStd]);
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
  heads: number, opts: { dropout?: number; training?: boolean; rng?: UniformSource; keepProbs?: boolean } = {}): { out: Tensor; probs: Storage } {
  const N = q.rows;
  want(q.shape.length === 2 && q.cols % heads === 0, 'raggedAttention', () => `q ${fmt(q)} is not [N, heads*dk] with heads=${heads}`);
  want(k.size === q.size && v.size === q.size, 'raggedAttention', () => `q ${fmt(q)}, k ${fmt(k)}, v ${fmt(v)} differ`);
  want(graphPtr.length >= 1 && graphPtr[graphPtr.length - 1] === N, 'raggedAttention',
    () => `graphPtr ends at ${graphPtr[graphPtr.length - 1]}, expected N=${N}`);
  const dk = q.cols / heads;
  const D = on('raggedAttention', q, k, v, mask), K = D.kernels(), dp = D.index(graphPtr);
  const out = Tensor.output(q.shape, false, D); // every row belongs to a graph and is written
  const pooled = opts.keepProbs === false;
  // The kernel writes every probability and the mask draw every entry: no zero-fill needed.
  const probs = pooled ? scratchBuffer(mask.size, D) : D.name === 'cpu' ? new Float32Array(mask.size) : D.take(mask.size, false);
  let drop: Storage | null = null;
  const p = opts.dropout ?? 0;
  if (opts.training && p > 0) {
    want(opts.rng !== undefined, 'raggedAttention', () => 'attention dropout needs an rng');
    // The seeded generator's values, the same mask on every device (on a GPU drawn there: maskOn).
    if (D.name === 'cpu') {
      const m = pooled ? scratchBuffer(mask.size, D) as Float32Array : new Float32Array(mask.size);
      uniformMaskFrom(opts.rng!, m, p, 1 / (1 - p), false);
      drop = m;
    } else {
      drop = maskOn(D, opts.rng!, mask.size, p, 1 / (1 - p), false);
    }
  }
  const sc = 1 / Math.sqrt(dk);
  K.attentionForward(q.storage, k.storage, v.storage, mask.storage, dp, heads, dk, sc, drop, out.storage, probs);
  const res = record(out, [q, k, v, mask], () => {
    K.attentionBackward(q.storage, k.storage, v.storage, mask.storage, dp, heads, dk, sc, drop, probs, out.gradStorage!,
      gradOf(q), gradOf(k), gradOf(v), gradOf(mask));
    if (pooled) {
      // The tape runs this closure once and drops it: nothing reads them again.
      D.give(probs);
      if (drop) D.give(drop);
    }
  });
  return { out: res, probs };
}

/** An uninitialised pooled buffer, released with the `scoped()` region if one is open. */
function scratchBuffer(n: number, D: Device): Storage {
  return Tensor.output([n], false, D).storage;
}

export { numel };
