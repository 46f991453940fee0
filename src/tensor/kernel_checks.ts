/**
 * Argument validation shared by the kernel backends (`kernels_ts.ts`, and the
 * native wrapper, which must reject bad input before handing pointers to C).
 *
 * `validate.<kernel>(...)` takes the arguments of the kernel of the same name in
 * `Kernels` (in the same order, leaving out trailing ones it has nothing to check,
 * such as flags and hyperparameters) and throws `Error("<kernel>: <what> (<shapes>)")` on the first
 * problem: a wrong array type or length, a size that is not a non-negative
 * integer, an unknown op/broadcast name, an index out of range, or a malformed
 * ptr array. It never touches output data. Some validators return a small
 * derived layout (e.g. the node count of the attention) so callers don't redo it.
 */
import type { BinaryOp, Broadcast, F32, I32, Kernels, SegmentOp, UnaryOp } from './kernels.js';

type Dims = Record<string, number>;
type ArrayCtor = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** Throws the kernel error. */
export function fail(kernel: string, msg: string): never {
  throw new Error(`${kernel}: ${msg}`);
}

/** "m=3, k=4" */
export function fmtDims(dims: Dims): string {
  return Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(', ');
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

/** Every entry of `dims` must be a non-negative safe integer. */
export function checkSizes(kernel: string, dims: Dims): void {
  for (const [name, v] of Object.entries(dims)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      fail(kernel, `${name} must be a non-negative integer, got ${String(v)}`);
    }
  }
}

/**
 * `arr` must be an instance of `ctor` with exactly `expected` elements.
 * `formula` says how `expected` was derived from `dims` (for the message).
 */
export function checkArray(kernel: string, name: string, arr: unknown, ctor: ArrayCtor,
  expected: number, formula: string, dims: Dims): void {
  if (!(arr instanceof ctor)) fail(kernel, `${name} must be a ${ctor.name}, got ${typeName(arr)}`);
  const len = (arr as ArrayLike<number>).length;
  if (len !== expected) {
    const d = fmtDims(dims);
    fail(kernel, `${name} has ${len} elements, expected ${formula} = ${expected}${d ? ` (${d})` : ''}`);
  }
}

export function checkF32(kernel: string, name: string, arr: unknown, expected: number, formula: string, dims: Dims): void {
  checkArray(kernel, name, arr, Float32Array, expected, formula, dims);
}
export function checkI32(kernel: string, name: string, arr: unknown, expected: number, formula: string, dims: Dims): void {
  checkArray(kernel, name, arr, Int32Array, expected, formula, dims);
}
/** Like checkF32 but `null` is accepted (optional arrays). */
export function checkOptF32(kernel: string, name: string, arr: unknown, expected: number, formula: string, dims: Dims): void {
  if (arr !== null) checkF32(kernel, name, arr, expected, formula, dims);
}

/** `value` must be one of `allowed` (op and mode names). */
export function checkOneOf<T extends string>(kernel: string, what: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    fail(kernel, `unknown ${what} '${String(value)}', expected one of ${allowed.join(', ')}`);
  }
}

/** Every idx[r] must be in [0, bound). */
export function checkIndices(kernel: string, name: string, idx: I32, bound: number, boundName: string): void {
  for (let r = 0; r < idx.length; r++) {
    const v = idx[r];
    if (v < 0 || v >= bound) {
      fail(kernel, `${name}[${r}] = ${v} is out of range [0, ${boundName}) (${boundName}=${bound}, ${name} has ${idx.length} elements)`);
    }
  }
}

/**
 * A ptr array [S+1] (segments, graphs): Int32Array, at least one element,
 * ptr[0] = 0, non-decreasing. Returns ptr[S], the number of rows covered.
 */
export function checkPtr(kernel: string, name: string, ptr: unknown): number {
  if (!(ptr instanceof Int32Array)) fail(kernel, `${name} must be a Int32Array, got ${typeName(ptr)}`);
  if (ptr.length < 1) fail(kernel, `${name} has 0 elements, expected at least 1 (S+1 for S segments)`);
  if (ptr[0] !== 0) fail(kernel, `${name}[0] = ${ptr[0]}, expected 0 (${name} has ${ptr.length} elements)`);
  for (let s = 0; s + 1 < ptr.length; s++) {
    if (ptr[s + 1] < ptr[s]) {
      fail(kernel, `${name} is not non-decreasing: ${name}[${s}] = ${ptr[s]} > ${name}[${s + 1}] = ${ptr[s + 1]} (${name} has ${ptr.length} elements)`);
    }
  }
  return ptr[ptr.length - 1];
}

function checkNumber(kernel: string, name: string, v: unknown): void {
  if (typeof v !== 'number') fail(kernel, `${name} must be a number, got ${typeName(v)}`);
}

export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div'];
export const BROADCASTS: readonly Broadcast[] = ['full', 'row', 'col', 'scalar'];
export const UNARY_OPS: readonly UnaryOp[] = ['relu', 'leaky_relu', 'sigmoid', 'exp', 'log', 'pow_base', 'scale', 'add_scalar'];
export const SEGMENT_OPS: readonly SegmentOp[] = ['sum', 'mean', 'max'];

/** Number of elements of `b` for a broadcast mode, with its formula. */
export function broadcastSize(bc: Broadcast, rows: number, cols: number): [number, string] {
  switch (bc) {
    case 'full': return [rows * cols, 'rows*cols'];
    case 'row': return [cols, 'cols'];
    case 'col': return [rows, 'rows'];
    case 'scalar': return [1, '1'];
  }
}

function checkBinaryArgs(kernel: string, op: unknown, a: unknown, b: unknown, rows: number, cols: number, bc: unknown): Dims {
  checkOneOf(kernel, 'op', op, BINARY_OPS);
  checkOneOf(kernel, 'broadcast', bc, BROADCASTS);
  const dims = { rows, cols };
  checkSizes(kernel, dims);
  checkF32(kernel, 'a', a, rows * cols, 'rows*cols', dims);
  const [nb, fb] = broadcastSize(bc, rows, cols);
  checkF32(kernel, `b (broadcast '${bc}')`, b, nb, fb, dims);
  return dims;
}

/** Layout of a ragged attention call, returned by validate.attention*. */
export interface AttentionLayout {
  /** Nodes = graphPtr[B]. */
  N: number;
  /** sum_b n_b^2 (mask elements per head). */
  sumSq: number;
}

function checkAttentionArgs(kernel: string, q: unknown, k: unknown, v: unknown, mask: unknown,
  graphPtr: unknown, H: number, dk: number, scale: unknown, drop: unknown): AttentionLayout {
  checkSizes(kernel, { H, dk });
  checkNumber(kernel, 'scale', scale);
  const N = checkPtr(kernel, 'graphPtr', graphPtr);
  const gp = graphPtr as I32;
  let sumSq = 0;
  for (let b = 0; b + 1 < gp.length; b++) { const n = gp[b + 1] - gp[b]; sumSq += n * n; }
  const B = gp.length - 1;
  const dims = { N, H, dk, B };
  const nd = N * H * dk;
  checkF32(kernel, 'q', q, nd, 'N*H*dk', dims);
  checkF32(kernel, 'k', k, nd, 'N*H*dk', dims);
  checkF32(kernel, 'v', v, nd, 'N*H*dk', dims);
  const mdims = { H, sumNb2: sumSq, B };
  checkF32(kernel, 'mask', mask, H * sumSq, 'H*sum(n_b^2)', mdims);
  checkOptF32(kernel, 'drop', drop, H * sumSq, 'H*sum(n_b^2)', mdims);
  return { N, sumSq };
}

/**
 * One validator per kernel, with exactly the kernel's arguments (those it does
 * not check are named with a leading underscore), so a backend can wrap every
 * kernel the same way: validate(...args), then call(...args).
 */
export const validate = {
  setThreads(n: number): void {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) fail('setThreads', `n must be an integer >= 1, got ${String(n)}`);
  },

  getThreads(): void {},

  matmul(a: F32, b: F32, c: F32, m: number, k: number, n: number, transA: boolean, transB: boolean,
    _accumulate: boolean, bias: F32 | null = null): void {
    const K = 'matmul';
    const dims = { m, k, n };
    checkSizes(K, dims);
    checkF32(K, transA ? 'a (transposed)' : 'a', a, m * k, transA ? 'k*m' : 'm*k', dims);
    checkF32(K, transB ? 'b (transposed)' : 'b', b, k * n, transB ? 'n*k' : 'k*n', dims);
    checkF32(K, 'c', c, m * n, 'm*n', dims);
    checkOptF32(K, 'bias', bias, n, 'n', dims);
  },

  binary(op: BinaryOp, a: F32, b: F32, out: F32, rows: number, cols: number, bc: Broadcast): void {
    const dims = checkBinaryArgs('binary', op, a, b, rows, cols, bc);
    checkF32('binary', 'out', out, rows * cols, 'rows*cols', dims);
  },

  binaryBackward(op: BinaryOp, a: F32, b: F32, g: F32, ga: F32 | null, gb: F32 | null,
    rows: number, cols: number, bc: Broadcast): void {
    const K = 'binaryBackward';
    const dims = checkBinaryArgs(K, op, a, b, rows, cols, bc);
    checkF32(K, 'g', g, rows * cols, 'rows*cols', dims);
    checkOptF32(K, 'ga', ga, rows * cols, 'rows*cols', dims);
    const [nb, fb] = broadcastSize(bc, rows, cols);
    checkOptF32(K, `gb (broadcast '${bc}')`, gb, nb, fb, dims);
  },

  unary(op: UnaryOp, x: F32, out: F32, p: number): void {
    const K = 'unary';
    checkOneOf(K, 'op', op, UNARY_OPS);
    checkNumber(K, 'p', p);
    if (op === 'pow_base' && !(p > 0)) fail(K, `pow_base needs a base p > 0, got ${p}`);
    checkF32(K, 'x', x, (x as F32)?.length ?? 0, 'x.length', {});
    checkF32(K, 'out', out, x.length, 'x.length', { n: x.length });
  },

  unaryBackward(op: UnaryOp, x: F32, y: F32, g: F32, gx: F32 | null, p: number): void {
    const K = 'unaryBackward';
    checkOneOf(K, 'op', op, UNARY_OPS);
    checkNumber(K, 'p', p);
    if (op === 'pow_base' && !(p > 0)) fail(K, `pow_base needs a base p > 0, got ${p}`);
    checkF32(K, 'x', x, (x as F32)?.length ?? 0, 'x.length', {});
    const dims = { n: x.length };
    checkF32(K, 'y', y, x.length, 'x.length', dims);
    checkF32(K, 'g', g, x.length, 'x.length', dims);
    checkOptF32(K, 'gx', gx, x.length, 'x.length', dims);
  },

  sumAxis(x: F32, out: F32, rows: number, cols: number, axis: 0 | 1): void {
    const K = 'sumAxis';
    if (axis !== 0 && axis !== 1) fail(K, `axis must be 0 or 1, got ${String(axis)}`);
    const dims = { rows, cols, axis };
    checkSizes(K, { rows, cols });
    checkF32(K, 'x', x, rows * cols, 'rows*cols', dims);
    checkF32(K, 'out', out, axis === 0 ? cols : rows, axis === 0 ? 'cols' : 'rows', dims);
  },

  sumSquares(x: F32): void {
    checkF32('sumSquares', 'x', x, (x as F32)?.length ?? 0, 'x.length', {});
  },

  softmax(x: F32, out: F32, rows: number, cols: number, _log: boolean): void {
    const dims = { rows, cols };
    checkSizes('softmax', dims);
    checkF32('softmax', 'x', x, rows * cols, 'rows*cols', dims);
    checkF32('softmax', 'out', out, rows * cols, 'rows*cols', dims);
  },

  softmaxBackward(y: F32, g: F32, gx: F32, rows: number, cols: number, _log: boolean): void {
    const K = 'softmaxBackward';
    const dims = { rows, cols };
    checkSizes(K, dims);
    checkF32(K, 'y', y, rows * cols, 'rows*cols', dims);
    checkF32(K, 'g', g, rows * cols, 'rows*cols', dims);
    checkF32(K, 'gx', gx, rows * cols, 'rows*cols', dims);
  },

  crossEntropy(logits: F32, target: I32, weight: F32 | null, grad: F32, rows: number, cols: number): void {
    const K = 'crossEntropy';
    const dims = { rows, cols };
    checkSizes(K, dims);
    checkF32(K, 'logits', logits, rows * cols, 'rows*cols', dims);
    checkI32(K, 'target', target, rows, 'rows', dims);
    checkOptF32(K, 'weight', weight, cols, 'cols', dims);
    checkF32(K, 'grad', grad, rows * cols, 'rows*cols', dims);
    checkIndices(K, 'target', target, cols, 'cols');
  },

  bceWithLogits(logits: F32, target: F32, mask: Uint8Array | null, grad: F32): void {
    const K = 'bceWithLogits';
    checkF32(K, 'logits', logits, (logits as F32)?.length ?? 0, 'logits.length', {});
    const dims = { n: logits.length };
    checkF32(K, 'target', target, logits.length, 'n', dims);
    if (mask !== null) checkArray(K, 'mask', mask, Uint8Array, logits.length, 'n', dims);
    checkF32(K, 'grad', grad, logits.length, 'n', dims);
  },

  l1(x: F32, y: F32, grad: F32): void {
    checkF32('l1', 'x', x, (x as F32)?.length ?? 0, 'x.length', {});
    const dims = { n: x.length };
    checkF32('l1', 'y', y, x.length, 'n', dims);
    checkF32('l1', 'grad', grad, x.length, 'n', dims);
  },

  gatherRows(x: F32, idx: I32, out: F32, xRows: number, cols: number): void {
    const K = 'gatherRows';
    checkSizes(K, { xRows, cols });
    checkI32(K, 'idx', idx, (idx as I32)?.length ?? 0, 'idx.length', {});
    const dims = { xRows, cols, rows: idx.length };
    checkF32(K, 'x', x, xRows * cols, 'xRows*cols', dims);
    checkF32(K, 'out', out, idx.length * cols, 'idx.length*cols', dims);
    checkIndices(K, 'idx', idx, xRows, 'xRows');
  },

  scatterAddRows(src: F32, idx: I32, out: F32, outRows: number, cols: number): void {
    const K = 'scatterAddRows';
    checkSizes(K, { outRows, cols });
    checkI32(K, 'idx', idx, (idx as I32)?.length ?? 0, 'idx.length', {});
    const dims = { outRows, cols, rows: idx.length };
    checkF32(K, 'src', src, idx.length * cols, 'idx.length*cols', dims);
    checkF32(K, 'out', out, outRows * cols, 'outRows*cols', dims);
    checkIndices(K, 'idx', idx, outRows, 'outRows');
  },

  copyCols(src: F32, out: F32, rows: number, srcCols: number, outCols: number, off: number): void {
    const K = 'copyCols';
    const dims = { rows, srcCols, outCols, off };
    checkSizes(K, dims);
    if (off + srcCols > outCols) fail(K, `slice off+srcCols = ${off + srcCols} exceeds outCols (${fmtDims(dims)})`);
    checkF32(K, 'src', src, rows * srcCols, 'rows*srcCols', dims);
    checkF32(K, 'out', out, rows * outCols, 'rows*outCols', dims);
  },

  addSliceCols(src: F32, out: F32, rows: number, srcCols: number, outCols: number, off: number): void {
    const K = 'addSliceCols';
    const dims = { rows, srcCols, outCols, off };
    checkSizes(K, dims);
    if (off + outCols > srcCols) fail(K, `slice off+outCols = ${off + outCols} exceeds srcCols (${fmtDims(dims)})`);
    checkF32(K, 'src', src, rows * srcCols, 'rows*srcCols', dims);
    checkF32(K, 'out', out, rows * outCols, 'rows*outCols', dims);
  },

  segmentReduce(op: SegmentOp, x: F32, ptr: I32, out: F32, cols: number, argmax: I32 | null): void {
    const K = 'segmentReduce';
    checkOneOf(K, 'op', op, SEGMENT_OPS);
    checkSizes(K, { cols });
    const rows = checkPtr(K, 'ptr', ptr);
    const S = ptr.length - 1;
    const dims = { S, 'ptr[S]': rows, cols };
    checkF32(K, 'x', x, rows * cols, 'ptr[S]*cols', dims);
    checkF32(K, 'out', out, S * cols, 'S*cols', dims);
    if (argmax !== null) checkI32(K, 'argmax', argmax, S * cols, 'S*cols', dims);
  },

  segmentReduceBackward(op: SegmentOp, g: F32, ptr: I32, gx: F32, cols: number, argmax: I32 | null): void {
    const K = 'segmentReduceBackward';
    checkOneOf(K, 'op', op, SEGMENT_OPS);
    checkSizes(K, { cols });
    const rows = checkPtr(K, 'ptr', ptr);
    const S = ptr.length - 1;
    const dims = { S, 'ptr[S]': rows, cols };
    checkF32(K, 'g', g, S * cols, 'S*cols', dims);
    checkF32(K, 'gx', gx, rows * cols, 'ptr[S]*cols', dims);
    if (op !== 'max') return;
    if (argmax === null) fail(K, `op 'max' needs the argmax array written by segmentReduce (${fmtDims(dims)})`);
    checkI32(K, 'argmax', argmax, S * cols, 'S*cols', dims);
    // The winner of segment s must lie in its segment (-1 only for an empty one),
    // otherwise the gradient would land in another segment's rows.
    for (let s = 0; s < S; s++) {
      const lo = ptr[s], hi = ptr[s + 1];
      for (let c = 0; c < cols; c++) {
        const r = argmax[s * cols + c];
        const ok = lo === hi ? r === -1 : r >= lo && r < hi;
        if (!ok) fail(K, `argmax[${s * cols + c}] = ${r} is outside segment ${s} rows [${lo}, ${hi}) (${fmtDims(dims)})`);
      }
    }
  },

  batchNorm(x: F32, out: F32, rows: number, cols: number, weight: F32 | null, bias: F32 | null,
    runningMean: F32 | null, runningVar: F32 | null, training: boolean, momentum: number, eps: number,
    saveMean: F32, saveInvStd: F32): void {
    const K = 'batchNorm';
    const dims = { rows, cols };
    checkSizes(K, dims);
    checkNumber(K, 'momentum', momentum);
    checkNumber(K, 'eps', eps);
    checkF32(K, 'x', x, rows * cols, 'rows*cols', dims);
    checkF32(K, 'out', out, rows * cols, 'rows*cols', dims);
    checkOptF32(K, 'weight', weight, cols, 'cols', dims);
    checkOptF32(K, 'bias', bias, cols, 'cols', dims);
    checkOptF32(K, 'runningMean', runningMean, cols, 'cols', dims);
    checkOptF32(K, 'runningVar', runningVar, cols, 'cols', dims);
    checkF32(K, 'saveMean', saveMean, cols, 'cols', dims);
    checkF32(K, 'saveInvStd', saveInvStd, cols, 'cols', dims);
    if ((runningMean === null) !== (runningVar === null)) fail(K, `runningMean and runningVar must both be given or both be null (${fmtDims(dims)})`);
    if (!training && runningMean === null) fail(K, `eval mode needs runningMean and runningVar (${fmtDims(dims)})`);
    if (training && rows === 0) fail(K, `training mode needs at least 1 row to compute batch statistics (${fmtDims(dims)})`);
  },

  batchNormBackward(x: F32, g: F32, rows: number, cols: number, weight: F32 | null, saveMean: F32,
    saveInvStd: F32, _training: boolean, gx: F32 | null, gw: F32 | null, gb: F32 | null): void {
    const K = 'batchNormBackward';
    const dims = { rows, cols };
    checkSizes(K, dims);
    checkF32(K, 'x', x, rows * cols, 'rows*cols', dims);
    checkF32(K, 'g', g, rows * cols, 'rows*cols', dims);
    checkOptF32(K, 'weight', weight, cols, 'cols', dims);
    checkF32(K, 'saveMean', saveMean, cols, 'cols', dims);
    checkF32(K, 'saveInvStd', saveInvStd, cols, 'cols', dims);
    checkOptF32(K, 'gx', gx, rows * cols, 'rows*cols', dims);
    checkOptF32(K, 'gw', gw, cols, 'cols', dims);
    checkOptF32(K, 'gb', gb, cols, 'cols', dims);
  },

  attentionForward(q: F32, k: F32, v: F32, mask: F32, graphPtr: I32, H: number, dk: number,
    scale: number, drop: F32 | null, out: F32, probs: F32): AttentionLayout {
    const K = 'attentionForward';
    const L = checkAttentionArgs(K, q, k, v, mask, graphPtr, H, dk, scale, drop);
    checkF32(K, 'out', out, L.N * H * dk, 'N*H*dk', { N: L.N, H, dk });
    checkF32(K, 'probs', probs, H * L.sumSq, 'H*sum(n_b^2)', { H, sumNb2: L.sumSq });
    return L;
  },

  attentionBackward(q: F32, k: F32, v: F32, mask: F32, graphPtr: I32, H: number, dk: number,
    scale: number, drop: F32 | null, probs: F32, gOut: F32,
    gq: F32 | null, gk: F32 | null, gv: F32 | null, gMask: F32 | null): AttentionLayout {
    const K = 'attentionBackward';
    const L = checkAttentionArgs(K, q, k, v, mask, graphPtr, H, dk, scale, drop);
    const nd = { N: L.N, H, dk };
    const md = { H, sumNb2: L.sumSq };
    checkF32(K, 'probs', probs, H * L.sumSq, 'H*sum(n_b^2)', md);
    checkF32(K, 'gOut', gOut, L.N * H * dk, 'N*H*dk', nd);
    checkOptF32(K, 'gq', gq, L.N * H * dk, 'N*H*dk', nd);
    checkOptF32(K, 'gk', gk, L.N * H * dk, 'N*H*dk', nd);
    checkOptF32(K, 'gv', gv, L.N * H * dk, 'N*H*dk', nd);
    checkOptF32(K, 'gMask', gMask, H * L.sumSq, 'H*sum(n_b^2)', md);
    return L;
  },

  adamStep(p: F32, g: F32, m: F32, v: F32, _lr: number, _beta1: number, _beta2: number, _eps: number,
    _weightDecay: number, step: number, _decoupled: boolean): void {
    const K = 'adamStep';
    checkF32(K, 'p', p, (p as F32)?.length ?? 0, 'p.length', {});
    const dims = { n: p.length };
    checkF32(K, 'g', g, p.length, 'n', dims);
    checkF32(K, 'm', m, p.length, 'n', dims);
    checkF32(K, 'v', v, p.length, 'n', dims);
    if (!Number.isSafeInteger(step) || step < 1) fail(K, `step must be an integer >= 1 (1-based), got ${String(step)}`);
  },

  sgdStep(p: F32, g: F32, buf: F32 | null, _lr: number, momentum: number, _dampening: number,
    _weightDecay: number, _nesterov: boolean, _firstStep: boolean): void {
    const K = 'sgdStep';
    checkF32(K, 'p', p, (p as F32)?.length ?? 0, 'p.length', {});
    const dims = { n: p.length };
    checkF32(K, 'g', g, p.length, 'n', dims);
    checkOptF32(K, 'buf', buf, p.length, 'n', dims);
    checkNumber(K, 'momentum', momentum);
    if (momentum !== 0 && buf === null) fail(K, `momentum ${momentum} needs a momentum buffer, got null (n=${p.length})`);
  },

  uniformMask(state: Uint32Array, out: F32, threshold: number, keep: number, _below: boolean): void {
    const K = 'uniformMask';
    if (!(state instanceof Uint32Array)) fail(K, `state must be a Uint32Array, got ${(state as unknown as object)?.constructor?.name ?? String(state)}`);
    if (state.length !== 4) fail(K, `state has ${state.length} elements, expected 4 (xoshiro128** words)`);
    checkF32(K, 'out', out, (out as F32)?.length ?? 0, 'n', {});
    checkNumber(K, 'threshold', threshold);
    checkNumber(K, 'keep', keep);
  },

  decayMask(spd: Uint16Array, spdPtr: I32, H: number, table: F32, D: number, out: F32): number {
    return checkDecayArgs('decayMask', spd, spdPtr, H, table, D, out, 'table', 'out', Float32Array);
  },

  decayMaskBackward(spd: Uint16Array, spdPtr: I32, H: number, g: F32, D: number, sums: Float64Array): number {
    return checkDecayArgs('decayMaskBackward', spd, spdPtr, H, sums, D, g, 'sums', 'g', Float64Array);
  },

  gineMessage(x: F32, e: F32, src: I32, dst: I32, out: F32, xRows: number, outRows: number, cols: number): void {
    checkGineArgs('gineMessage', x, e, src, dst, out, 'out', xRows, outRows, cols);
  },

  gineMessageBackward(x: F32, e: F32, src: I32, dst: I32, g: F32, gx: F32 | null, ge: F32 | null,
    xRows: number, outRows: number, cols: number): void {
    const K = 'gineMessageBackward';
    checkGineArgs(K, x, e, src, dst, g, 'g', xRows, outRows, cols);
    const dims = { xRows, cols, E: src.length };
    if (gx !== null) checkF32(K, 'gx', gx, xRows * cols, 'xRows*cols', dims);
    if (ge !== null) checkF32(K, 'ge', ge, src.length * cols, 'E*cols', dims);
  },

  gatedGcnMessage(Dx: F32, Ex: F32, Ce: F32, Bx: F32, gate: F32 | null, src: I32, dst: I32,
    g: F32, s0: F32, num: F32, dp: F32, q: F32, xRows: number, outRows: number, cols: number, eps: number): void {
    const K = 'gatedGcnMessage';
    const dims = checkGatedArgs(K, Bx, gate, Ce, 'Ce', src, dst, xRows, outRows, cols);
    checkF32(K, 'Dx', Dx, xRows * cols, 'xRows*cols', dims);
    checkF32(K, 'Ex', Ex, xRows * cols, 'xRows*cols', dims);
    checkF32(K, 'g', g, dims.E * cols, 'E*cols', dims);
    checkF32(K, 's0', s0, dims.E * cols, 'E*cols', dims);
    for (const [name, a] of [['num', num], ['dp', dp], ['q', q]] as const) checkF32(K, name, a, outRows * cols, 'outRows*cols', dims);
    if (typeof eps !== 'number') fail(K, `eps must be a number, got ${typeName(eps)}`);
  },

  gatedGcnMessageBackward(Bx: F32, gate: F32 | null, s0: F32, num: F32, dp: F32, src: I32, dst: I32, gq: F32,
    work: F32, gDx: F32 | null, gEx: F32 | null, gCe: F32 | null, gBx: F32 | null, ggate: F32 | null,
    xRows: number, outRows: number, cols: number): void {
    const K = 'gatedGcnMessageBackward';
    const dims = checkGatedArgs(K, Bx, gate, s0, 's0', src, dst, xRows, outRows, cols);
    for (const [name, a] of [['num', num], ['dp', dp], ['gq', gq]] as const) checkF32(K, name, a, outRows * cols, 'outRows*cols', dims);
    checkF32(K, 'work', work, 2 * outRows * cols, '2*outRows*cols', dims);
    for (const [name, a] of [['gDx', gDx], ['gEx', gEx], ['gBx', gBx]] as const) checkOptF32(K, name, a, xRows * cols, 'xRows*cols', dims);
    checkOptF32(K, 'gCe', gCe, dims.E * cols, 'E*cols', dims);
    checkOptF32(K, 'ggate', ggate, dims.E, 'E', dims);
    if (ggate !== null && gate === null) fail(K, `ggate is given but gate is null (${fmtDims(dims)})`);
  },
};

/**
 * Shared checks of gatedGcnMessage(Backward): sizes, src/dst [E] in range (dst also
 * indexes Dx), Bx [xRows, cols], the per-edge array `es` [E, cols] (Ce or s0) and
 * gate [E] or null. Returns the dims for the caller's messages.
 */
function checkGatedArgs(K: string, Bx: F32, gate: F32 | null, es: F32, esName: string, src: I32, dst: I32,
  xRows: number, outRows: number, cols: number): { xRows: number; outRows: number; cols: number; E: number } {
  checkSizes(K, { xRows, outRows, cols });
  checkI32(K, 'src', src, (src as I32)?.length ?? 0, 'src.length', {});
  const E = src.length;
  const dims = { xRows, outRows, cols, E };
  checkI32(K, 'dst', dst, E, 'E (src.length)', dims);
  checkF32(K, 'Bx', Bx, xRows * cols, 'xRows*cols', dims);
  checkF32(K, esName, es, E * cols, 'E*cols', dims);
  checkOptF32(K, 'gate', gate, E, 'E', dims);
  checkIndices(K, 'src', src, xRows, 'xRows');
  checkIndices(K, 'dst', dst, Math.min(xRows, outRows), 'min(xRows, outRows)');
  return dims;
}

/** Shared checks of gineMessage(Backward); `out` is the [outRows, cols] array (out or g). */
function checkGineArgs(K: string, x: F32, e: F32, src: I32, dst: I32, out: F32, outName: string,
  xRows: number, outRows: number, cols: number): void {
  checkSizes(K, { xRows, outRows, cols });
  checkI32(K, 'src', src, (src as I32)?.length ?? 0, 'src.length', {});
  const E = src.length;
  const dims = { xRows, outRows, cols, E };
  checkI32(K, 'dst', dst, E, 'E (src.length)', dims);
  checkF32(K, 'x', x, xRows * cols, 'xRows*cols', dims);
  checkF32(K, 'e', e, E * cols, 'E*cols', dims);
  checkF32(K, outName, out, outRows * cols, 'outRows*cols', dims);
  checkIndices(K, 'src', src, xRows, 'xRows');
  checkIndices(K, 'dst', dst, outRows, 'outRows');
}

/**
 * Checks of decayMask / decayMaskBackward: spd a Uint16Array covered exactly by
 * spdPtr, the [H, D] table (or sums) and the H*sum(n_b^2) mask-layout array, every
 * distance < D. Returns B (graphs).
 */
function checkDecayArgs(K: string, spd: unknown, spdPtr: unknown, H: number, table: unknown, D: number, mask: unknown,
  tableName: string, maskName: string, tableCtor: Float32ArrayConstructor | Float64ArrayConstructor): number {
  if (!(spd instanceof Uint16Array)) fail(K, `spd must be a Uint16Array, got ${typeName(spd)}`);
  const end = checkPtr(K, 'spdPtr', spdPtr);
  const B = (spdPtr as I32).length - 1;
  if (end !== spd.length) fail(K, `spdPtr[${B}] = ${end}, expected the spd length ${spd.length} (B=${B})`);
  checkSizes(K, { H, D });
  if (D < 1) fail(K, `D must be >= 1 (max distance + 1), got ${D}`);
  if (!(table instanceof tableCtor)) fail(K, `${tableName} must be a ${tableCtor.name}, got ${typeName(table)}`);
  if (table.length !== H * D) fail(K, `${tableName} has ${table.length} elements, expected H*D = ${H * D} (H=${H}, D=${D})`);
  checkF32(K, maskName, mask, H * spd.length, 'H*sum(n_b^2)', { H, sumNb2: spd.length });
  for (let i = 0; i < spd.length; i++) {
    if (spd[i] >= D) fail(K, `spd[${i}] = ${spd[i]} is out of range [0, D) (D=${D}, spd has ${spd.length} elements)`);
  }
  return B;
}

// Compile-time proof that every kernel has a validator taking exactly its
// arguments (same types, same positions), which the native backend relies on.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type KernelFns = Omit<Kernels, 'name'>;
const validatorsMatchKernels: { [K in keyof KernelFns]: Same<Parameters<KernelFns[K]>, Parameters<(typeof validate)[K]>> } = {
  setThreads: true, getThreads: true, matmul: true, binary: true, binaryBackward: true, unary: true, unaryBackward: true,
  sumAxis: true, sumSquares: true, softmax: true, softmaxBackward: true, crossEntropy: true, bceWithLogits: true, l1: true,
  gatherRows: true, scatterAddRows: true, copyCols: true, addSliceCols: true, segmentReduce: true, segmentReduceBackward: true,
  batchNorm: true, batchNormBackward: true, attentionForward: true, attentionBackward: true, adamStep: true, sgdStep: true,
  uniformMask: true, decayMask: true, decayMaskBackward: true, gineMessage: true, gineMessageBackward: true,
  gatedGcnMessage: true, gatedGcnMessageBackward: true,
};
void validatorsMatchKernels;
