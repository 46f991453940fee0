/**
 * Finite-difference checks of every backward kernel of a `Kernels` backend.
 *
 * `checkKernelGrads(K)` registers one node:test suite per backend, so the TS and
 * the native kernels run the very same checks. For each case the scalar
 * objective is L = sum(forward(inputs) * R) for a fixed seeded R; the analytic
 * gradient comes from the backward kernel called with upstream R, the numeric one
 * from central differences. Inputs are float32, so the step is taken as the
 * float32-representable difference fround(x+h) - fround(x-h). Gradient outputs
 * are pre-filled with a known offset to check that backward kernels accumulate.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BinaryOp, Broadcast, Kernels, SegmentOp, UnaryOp } from '../../src/tensor/kernels.js';
import { Rng } from './rng.js';

const H_STEP = 1e-2;
const RTOL = 2e-2;
const ATOL = 1e-3;
/** Offset pre-filled into gradient outputs (a power of two: exact to remove). */
const PREFILL = 0.5;

/** Differentiable inputs: float32 tensors, or a Float64Array of length 1 for a scalar parameter passed as a JS number. */
type Inputs = Record<string, Float32Array | Float64Array>;

interface GradCase {
  name: string;
  inputs: Inputs;
  /** Forward output (a fresh or reused array) or a scalar loss. Must not modify inputs. */
  forward(): Float32Array | number;
  /** Analytic gradients of sum(forward * R) for every input name. */
  backward(R: Float32Array): Record<string, Float32Array | number>;
}

/** A gradient output pre-filled with PREFILL (backward kernels must add into it). */
function gradBuf(n: number): Float32Array { return new Float32Array(n).fill(PREFILL); }
/** Removes the pre-fill offset, giving the accumulated gradient. */
function unfill(g: Float32Array): Float32Array { return g.map((v) => v - PREFILL); }

function objective(out: Float32Array | number, R: Float32Array): number {
  if (typeof out === 'number') return out * R[0];
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * R[i];
  return s;
}

function runCase(c: GradCase, seed: number): void {
  const rng = new Rng(seed);
  const first = c.forward();
  const R = rng.f32(typeof first === 'number' ? 1 : first.length, -1, 1);
  const grads = c.backward(R);
  const fails: string[] = [];
  let checked = 0;
  for (const [name, x] of Object.entries(c.inputs)) {
    const g = grads[name];
    assert.ok(g !== undefined, `${c.name}: backward returned no gradient for '${name}'`);
    const ga = typeof g === 'number' ? [g] : g;
    assert.equal(ga.length, x.length, `${c.name}: gradient of '${name}' has ${ga.length} elements, input has ${x.length}`);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      const isF32 = x instanceof Float32Array;
      const hStep = isF32 ? H_STEP : H_STEP * Math.max(1, Math.abs(x0));
      x[i] = x0 + hStep; const xp = x[i]; const fp = objective(c.forward(), R);
      x[i] = x0 - hStep; const xm = x[i]; const fm = objective(c.forward(), R);
      x[i] = x0;
      const num = (fp - fm) / (xp - xm);
      const ana = ga[i];
      checked++;
      if (!(Math.abs(ana - num) <= RTOL * Math.max(Math.abs(ana), Math.abs(num)) + ATOL)) {
        fails.push(`${name}[${i}]: analytic ${ana.toExponential(4)} vs numeric ${num.toExponential(4)}`);
      }
    }
  }
  assert.ok(checked > 0, `${c.name}: no gradient element checked`);
  assert.deepEqual(fails, [], `${c.name}: ${fails.length} of ${checked} gradient elements disagree`);
}

// ------------------------------------------------------------------- cases

const BINARY_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
const BROADCASTS: Broadcast[] = ['full', 'row', 'col', 'scalar'];

function binaryCases(K: Kernels, rng: Rng): GradCase[] {
  const rows = 3, cols = 4;
  const out: GradCase[] = [];
  for (const op of BINARY_OPS) {
    for (const bc of BROADCASTS) {
      const nb = { full: rows * cols, row: cols, col: rows, scalar: 1 }[bc];
      const a = rng.f32(rows * cols, -1, 1);
      // div: keep b well away from 0 so 1/b is smooth over the step.
      const b = op === 'div' ? rng.f32AwayFromZero(nb, 0.5, 1.5) : rng.f32(nb, -1, 1);
      const y = new Float32Array(rows * cols);
      out.push({
        name: `binaryBackward ${op} ${bc}`,
        inputs: { a, b },
        forward: () => { K.binary(op, a, b, y, rows, cols, bc); return y; },
        backward: (R) => {
          const ga = gradBuf(a.length), gb = gradBuf(b.length);
          K.binaryBackward(op, a, b, R, ga, gb, rows, cols, bc);
          return { a: unfill(ga), b: unfill(gb) };
        },
      });
    }
  }
  return out;
}

function unaryCases(K: Kernels, rng: Rng): GradCase[] {
  const n = 10;
  // Inputs keep >= 2h from kinks (relu/leaky at 0) and log/pow domains positive.
  const specs: [UnaryOp, number, () => Float32Array][] = [
    ['relu', 0, () => rng.f32AwayFromZero(n, 4 * H_STEP, 1)],
    ['leaky_relu', 0.1, () => rng.f32AwayFromZero(n, 4 * H_STEP, 1)],
    ['sigmoid', 0, () => rng.f32(n, -3, 3)],
    ['exp', 0, () => rng.f32(n, -1, 1)],
    ['log', 0, () => rng.f32(n, 0.5, 2)],
    ['pow_base', 0.6, () => rng.f32(n, -1, 3)],
    ['scale', -1.7, () => rng.f32(n, -1, 1)],
    ['add_scalar', 0.3, () => rng.f32(n, -1, 1)],
  ];
  return specs.map(([op, p0, gen]) => {
    const x = gen();
    const y = new Float32Array(n);
    const pArr = new Float64Array([p0]);
    const inputs: Inputs = op === 'pow_base' ? { x, p: pArr } : { x };
    return {
      name: `unaryBackward ${op}`,
      inputs,
      forward: () => { K.unary(op, x, y, pArr[0]); return y; },
      backward: (R) => {
        K.unary(op, x, y, pArr[0]);
        const gx = gradBuf(n);
        const dp = K.unaryBackward(op, x, y, R, gx, pArr[0]);
        if (op !== 'pow_base') assert.equal(dp, 0, `unaryBackward ${op} must return 0 for dL/dp`);
        return { x: unfill(gx), p: dp };
      },
    };
  });
}

function softmaxCases(K: Kernels, rng: Rng): GradCase[] {
  const rows = 3, cols = 5;
  return [false, true].map((log) => {
    const x = rng.f32(rows * cols, -2, 2);
    const y = new Float32Array(rows * cols);
    return {
      name: `softmaxBackward log=${log}`,
      inputs: { x },
      forward: () => { K.softmax(x, y, rows, cols, log); return y; },
      backward: (R) => {
        K.softmax(x, y, rows, cols, log);
        const gx = gradBuf(x.length);
        K.softmaxBackward(y, R, gx, rows, cols, log);
        return { x: unfill(gx) };
      },
    };
  });
}

function lossCases(K: Kernels, rng: Rng): GradCase[] {
  const rows = 4, cols = 3;
  const cases: GradCase[] = [];
  for (const weighted of [false, true]) {
    const logits = rng.f32(rows * cols, -2, 2);
    const target = new Int32Array([0, 2, 2, 1]);
    const weight = weighted ? new Float32Array([0.3, 1.0, 2.5]) : null;
    const grad = new Float32Array(rows * cols);
    cases.push({
      name: `crossEntropy grad weighted=${weighted}`,
      inputs: { logits },
      forward: () => K.crossEntropy(logits, target, weight, grad, rows, cols),
      backward: (R) => {
        K.crossEntropy(logits, target, weight, grad, rows, cols);
        return { logits: grad.map((v) => v * R[0]) };
      },
    });
  }
  for (const masked of [false, true]) {
    const n = 9;
    const logits = rng.f32(n, -3, 3);
    const target = new Float32Array(n).map(() => (rng.next() < 0.5 ? 0 : 1));
    const mask = masked ? new Uint8Array([1, 0, 1, 1, 0, 1, 1, 1, 0]) : null;
    const grad = new Float32Array(n);
    cases.push({
      name: `bceWithLogits grad masked=${masked}`,
      inputs: { logits },
      forward: () => K.bceWithLogits(logits, target, mask, grad),
      backward: (R) => {
        K.bceWithLogits(logits, target, mask, grad);
        return { logits: grad.map((v) => v * R[0]) };
      },
    });
  }
  {
    const n = 8;
    const y = rng.f32(n, -1, 1);
    const d = rng.f32AwayFromZero(n, 0.1, 1); // |x - y| >= 0.1: away from the kink
    const x = y.map((v, i) => v + d[i]);
    const grad = new Float32Array(n);
    cases.push({
      name: 'l1 grad',
      inputs: { x },
      forward: () => K.l1(x, y, grad),
      backward: (R) => { K.l1(x, y, grad); return { x: grad.map((v) => v * R[0]) }; },
    });
  }
  return cases;
}

function indexCases(K: Kernels, rng: Rng): GradCase[] {
  const xRows = 5, cols = 3;
  const idx = new Int32Array([4, 0, 0, 2, 4, 4, 1]); // repeats and an unused row (3)
  const x = rng.f32(xRows * cols);
  const gathered = new Float32Array(idx.length * cols);
  const src = rng.f32(idx.length * cols);
  const base = rng.f32(xRows * cols);
  const scattered = new Float32Array(xRows * cols);
  const rows = 3, srcCols = 2, outCols = 5, off = 2;
  const cs = rng.f32(rows * srcCols);
  const cbase = rng.f32(rows * outCols);
  const cout = new Float32Array(rows * outCols);
  return [
    {
      // gather's backward is scatter-add: adjointness checked through FD.
      name: 'gatherRows / scatterAddRows adjoint (grad of gather)',
      inputs: { x },
      forward: () => { K.gatherRows(x, idx, gathered, xRows, cols); return gathered; },
      backward: (R) => { const gx = gradBuf(x.length); K.scatterAddRows(R, idx, gx, xRows, cols); return { x: unfill(gx) }; },
    },
    {
      name: 'scatterAddRows / gatherRows adjoint (grad of scatter)',
      inputs: { src },
      forward: () => { scattered.set(base); K.scatterAddRows(src, idx, scattered, xRows, cols); return scattered; },
      backward: (R) => { const gs = new Float32Array(src.length); K.gatherRows(R, idx, gs, xRows, cols); return { src: gs }; },
    },
    {
      name: 'copyCols / addSliceCols adjoint',
      inputs: { cs },
      forward: () => { cout.set(cbase); K.copyCols(cs, cout, rows, srcCols, outCols, off); return cout; },
      backward: (R) => { const g = gradBuf(cs.length); K.addSliceCols(R, g, rows, outCols, srcCols, off); return { cs: unfill(g) }; },
    },
  ];
}

function segmentCases(K: Kernels, rng: Rng): GradCase[] {
  const ptr = new Int32Array([0, 3, 3, 4, 8]); // segment 1 empty, segment 2 a single row
  const cols = 3, S = ptr.length - 1, rows = ptr[S];
  return (['sum', 'mean', 'max'] as SegmentOp[]).map((op) => {
    // Distinct values 0.1 apart (shuffled) so no max is within a step of a tie.
    const x = rng.shuffle(new Float32Array(rows * cols).map((_, i) => 0.1 * i - 1));
    const out = new Float32Array(S * cols);
    const argmax = new Int32Array(S * cols);
    return {
      name: `segmentReduceBackward ${op}`,
      inputs: { x },
      forward: () => { K.segmentReduce(op, x, ptr, out, cols, argmax); return out; },
      backward: (R) => {
        K.segmentReduce(op, x, ptr, out, cols, argmax);
        const gx = gradBuf(x.length);
        K.segmentReduceBackward(op, R, ptr, gx, cols, op === 'max' ? argmax : null);
        return { x: unfill(gx) };
      },
    };
  });
}

function batchNormCases(K: Kernels, rng: Rng): GradCase[] {
  const rows = 6, cols = 3, eps = 1e-5;
  return [true, false].map((training) => {
    const x = rng.f32(rows * cols, -2, 2);
    const weight = rng.f32(cols, 0.5, 1.5);
    const bias = rng.f32(cols, -0.5, 0.5);
    const rm = rng.f32(cols, -0.3, 0.3), rv = rng.f32(cols, 0.5, 2);
    const out = new Float32Array(rows * cols);
    const sm = new Float32Array(cols), si = new Float32Array(cols);
    // Fresh running-stat copies each call so training-mode updates don't drift the objective.
    const fwd = (): void => K.batchNorm(x, out, rows, cols, weight, bias, rm.slice(), rv.slice(),
      training, 0.1, eps, sm, si);
    return {
      name: `batchNormBackward training=${training}`,
      inputs: { x, weight, bias },
      forward: () => { fwd(); return out; },
      backward: (R) => {
        fwd();
        const gx = gradBuf(x.length), gw = gradBuf(cols), gb = gradBuf(cols);
        K.batchNormBackward(x, R, rows, cols, weight, sm, si, training, gx, gw, gb);
        return { x: unfill(gx), weight: unfill(gw), bias: unfill(gb) };
      },
    };
  });
}

function attentionCases(K: Kernels, rng: Rng): GradCase[] {
  // Graphs of 3, 1, 0 and 4 nodes: a single node and an empty graph included.
  const graphPtr = new Int32Array([0, 3, 4, 4, 8]);
  const H = 2, dk = 3, N = 8, scale = 1 / Math.sqrt(dk);
  let sumSq = 0;
  for (let b = 0; b + 1 < graphPtr.length; b++) sumSq += (graphPtr[b + 1] - graphPtr[b]) ** 2;
  return [false, true].map((withDrop) => {
    const q = rng.f32(N * H * dk, -1.5, 1.5), k = rng.f32(N * H * dk, -1.5, 1.5), v = rng.f32(N * H * dk);
    const mask = rng.f32(H * sumSq, 0.2, 1.5);
    const drop = withDrop ? new Float32Array(H * sumSq).map(() => (rng.next() < 0.3 ? 0 : 1 / 0.7)) : null;
    const out = new Float32Array(N * H * dk), probs = new Float32Array(H * sumSq);
    const fwd = (): void => K.attentionForward(q, k, v, mask, graphPtr, H, dk, scale, drop, out, probs);
    return {
      name: `attentionBackward drop=${withDrop}`,
      inputs: { q, k, v, mask },
      forward: () => { fwd(); return out; },
      backward: (R) => {
        fwd();
        const gq = gradBuf(q.length), gk = gradBuf(k.length), gv = gradBuf(v.length), gm = gradBuf(mask.length);
        K.attentionBackward(q, k, v, mask, graphPtr, H, dk, scale, drop, probs, R, gq, gk, gv, gm);
        return { q: unfill(gq), k: unfill(gk), v: unfill(gv), mask: unfill(gm) };
      },
    };
  });
}

/** Registers the finite-difference suite for backend K (call at module top level of a test file). */
export function checkKernelGrads(K: Kernels): void {
  describe(`finite-difference gradients, ${K.name} kernels`, () => {
    const groups: [string, (K: Kernels, rng: Rng) => GradCase[]][] = [
      ['binary', binaryCases], ['unary', unaryCases], ['softmax', softmaxCases], ['losses', lossCases],
      ['gather/scatter', indexCases], ['segments', segmentCases], ['batchnorm', batchNormCases],
      ['attention', attentionCases],
    ];
    groups.forEach(([group, make], gi) => {
      const cases = make(K, new Rng(1000 + gi));
      describe(group, () => {
        cases.forEach((c, ci) => it(c.name, () => runCase(c, 7 * gi + ci + 1)));
      });
    });
  });
}
