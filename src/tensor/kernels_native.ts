/**
 * The native backend: the C kernels of `native/` behind Node-API
 * (build/Release/gradformer.node, built by `npm install` / `npm run install`).
 *
 * Every call is validated twice: here with the shared TypeScript validators
 * (kernel_checks.ts, so error messages are word for word those of the TS twin),
 * and again inside C before any pointer is dereferenced (defence in depth; the
 * raw addon is exercised directly by test/kernels_native.test.ts under ASan).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.js';
import { validate } from './kernel_checks.js';

/** The raw addon: same functions as `Kernels` (minus `name`), C-side validation only. */
export type NativeAddon = Omit<Kernels, 'name'>;

const here = dirname(fileURLToPath(import.meta.url));
// src/tensor -> repo root (also dist/src/tensor -> dist/.. when compiled).
const ROOTS = [resolve(here, '..', '..'), resolve(here, '..', '..', '..')];

/** Path of the addon: env GRADFORMER_NATIVE_PATH (e.g. the ASan build) or build/Release/gradformer.node. */
export function nativeAddonPath(): string | null {
  const env = process.env.GRADFORMER_NATIVE_PATH;
  if (env) return resolve(env);
  for (const r of ROOTS) {
    const p = resolve(r, 'build', 'Release', 'gradformer.node');
    if (existsSync(p)) return p;
  }
  return null;
}

let cached: NativeAddon | null | undefined;

/**
 * Loads the raw addon (no TypeScript-side validation), or null when it is not built.
 * Throws if GRADFORMER_NATIVE_PATH names a file that cannot be loaded: asking for a
 * specific build and silently getting none would hide a broken setup.
 */
export function loadNativeAddon(): NativeAddon | null {
  if (cached !== undefined) return cached;
  const p = nativeAddonPath();
  if (p === null || !existsSync(p)) {
    if (process.env.GRADFORMER_NATIVE_PATH) {
      throw new Error(`kernels_native: GRADFORMER_NATIVE_PATH=${process.env.GRADFORMER_NATIVE_PATH} does not exist`);
    }
    cached = null;
    return null;
  }
  // Idle OpenMP workers sleep instead of spinning (unless the user chose otherwise):
  // kernels are short and called back to back from JS, and spinning workers on a
  // busy or small machine steal the core the other worker needs (measured on 2
  // shared cores: 2-thread matmul 3 GFLOP/s spinning vs 90+ passive). libgomp reads
  // this when the addon loads it, so it must be set before require().
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
    process.env.OMP_WAIT_POLICY = 'passive';
  }
  const require = createRequire(import.meta.url);
  cached = require(p) as NativeAddon;
  return cached;
}

/** The native `Kernels`, or null when the addon is not built. */
export function loadNativeKernels(): Kernels | null {
  const A = loadNativeAddon();
  if (A === null) return null;
  const K: Kernels = {
    name: 'native',
    setThreads(n) { validate.setThreads(n); A.setThreads(n); },
    getThreads() { return A.getThreads(); },
    matmul(a, b, c, m, k, n, transA, transB, accumulate, bias = null) {
      validate.matmul(a, b, c, m, k, n, transA, transB, bias);
      A.matmul(a, b, c, m, k, n, transA, transB, accumulate, bias);
    },
    binary(op, a, b, out, rows, cols, bc) {
      validate.binary(op, a, b, out, rows, cols, bc);
      A.binary(op, a, b, out, rows, cols, bc);
    },
    binaryBackward(op, a, b, g, ga, gb, rows, cols, bc) {
      validate.binaryBackward(op, a, b, g, ga, gb, rows, cols, bc);
      A.binaryBackward(op, a, b, g, ga, gb, rows, cols, bc);
    },
    unary(op, x, out, p) { validate.unary(op, x, out, p); A.unary(op, x, out, p); },
    unaryBackward(op, x, y, g, gx, p) {
      validate.unaryBackward(op, x, y, g, gx, p);
      return A.unaryBackward(op, x, y, g, gx, p);
    },
    sumAxis(x, out, rows, cols, axis) { validate.sumAxis(x, out, rows, cols, axis); A.sumAxis(x, out, rows, cols, axis); },
    sumSquares(x) { validate.sumSquares(x); return A.sumSquares(x); },
    softmax(x, out, rows, cols, log) { validate.softmax(x, out, rows, cols); A.softmax(x, out, rows, cols, log); },
    softmaxBackward(y, g, gx, rows, cols, log) {
      validate.softmaxBackward(y, g, gx, rows, cols);
      A.softmaxBackward(y, g, gx, rows, cols, log);
    },
    crossEntropy(logits, target, weight, grad, rows, cols) {
      validate.crossEntropy(logits, target, weight, grad, rows, cols);
      return A.crossEntropy(logits, target, weight, grad, rows, cols);
    },
    bceWithLogits(logits, target, mask, grad) {
      validate.bceWithLogits(logits, target, mask, grad);
      return A.bceWithLogits(logits, target, mask, grad);
    },
    l1(x, y, grad) { validate.l1(x, y, grad); return A.l1(x, y, grad); },
    gatherRows(x, idx, out, xRows, cols) { validate.gatherRows(x, idx, out, xRows, cols); A.gatherRows(x, idx, out, xRows, cols); },
    scatterAddRows(src, idx, out, outRows, cols) {
      validate.scatterAddRows(src, idx, out, outRows, cols);
      A.scatterAddRows(src, idx, out, outRows, cols);
    },
    copyCols(src, out, rows, srcCols, outCols, off) {
      validate.copyCols(src, out, rows, srcCols, outCols, off);
      A.copyCols(src, out, rows, srcCols, outCols, off);
    },
    addSliceCols(src, out, rows, srcCols, outCols, off) {
      validate.addSliceCols(src, out, rows, srcCols, outCols, off);
      A.addSliceCols(src, out, rows, srcCols, outCols, off);
    },
    segmentReduce(op, x, ptr, out, cols, argmax) {
      validate.segmentReduce(op, x, ptr, out, cols, argmax);
      A.segmentReduce(op, x, ptr, out, cols, argmax);
    },
    segmentReduceBackward(op, g, ptr, gx, cols, argmax) {
      validate.segmentReduceBackward(op, g, ptr, gx, cols, argmax);
      A.segmentReduceBackward(op, g, ptr, gx, cols, argmax);
    },
    batchNorm(x, out, rows, cols, weight, bias, rm, rv, training, momentum, eps, saveMean, saveInvStd) {
      validate.batchNorm(x, out, rows, cols, weight, bias, rm, rv, training, momentum, eps, saveMean, saveInvStd);
      A.batchNorm(x, out, rows, cols, weight, bias, rm, rv, training, momentum, eps, saveMean, saveInvStd);
    },
    batchNormBackward(x, g, rows, cols, weight, saveMean, saveInvStd, training, gx, gw, gb) {
      validate.batchNormBackward(x, g, rows, cols, weight, saveMean, saveInvStd, gx, gw, gb);
      A.batchNormBackward(x, g, rows, cols, weight, saveMean, saveInvStd, training, gx, gw, gb);
    },
    attentionForward(q, k, v, mask, graphPtr, H, dk, scale, drop, out, probs) {
      validate.attentionForward(q, k, v, mask, graphPtr, H, dk, scale, drop, out, probs);
      A.attentionForward(q, k, v, mask, graphPtr, H, dk, scale, drop, out, probs);
    },
    attentionBackward(q, k, v, mask, graphPtr, H, dk, scale, drop, probs, gOut, gq, gk, gv, gMask) {
      validate.attentionBackward(q, k, v, mask, graphPtr, H, dk, scale, drop, probs, gOut, gq, gk, gv, gMask);
      A.attentionBackward(q, k, v, mask, graphPtr, H, dk, scale, drop, probs, gOut, gq, gk, gv, gMask);
    },
    adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step, decoupled) {
      validate.adamStep(p, g, m, v, step);
      A.adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step, decoupled);
    },
    sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep) {
      validate.sgdStep(p, g, buf, momentum);
      A.sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    },
    uniformMask(state, out, threshold, keep, below) {
      validate.uniformMask(state, out, threshold, keep);
      A.uniformMask(state, out, threshold, keep, below);
    },
    decayMask(spd, spdPtr, H, table, D, out) {
      validate.decayMask(spd, spdPtr, H, table, D, out);
      A.decayMask(spd, spdPtr, H, table, D, out);
    },
    decayMaskBackward(spd, spdPtr, H, g, D, sums) {
      validate.decayMaskBackward(spd, spdPtr, H, g, D, sums);
      A.decayMaskBackward(spd, spdPtr, H, g, D, sums);
    },
    gineMessage(x, e, src, dst, out, xRows, outRows, cols) {
      validate.gineMessage(x, e, src, dst, out, xRows, outRows, cols);
      A.gineMessage(x, e, src, dst, out, xRows, outRows, cols);
    },
    gineMessageBackward(x, e, src, dst, g, gx, ge, xRows, outRows, cols) {
      validate.gineMessageBackward(x, e, src, dst, g, gx, ge, xRows, outRows, cols);
      A.gineMessageBackward(x, e, src, dst, g, gx, ge, xRows, outRows, cols);
    },
  };
  return K;
}
