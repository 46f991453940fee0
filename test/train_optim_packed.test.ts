// Adam and AdamW on cpu pack the parameters, gradients and moments into flat buffers
// (src/train/optim.ts) and update runs of parameters in one kernel call: the values and
// the state must be those of one call per parameter, bit for bit, on every backend,
// with parameters skipped (no gradient), gradients outside their slots, sizes that are
// not multiples of 16, and a state saved and restored in between.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { useKernels, kernels } from '../src/tensor/backend.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Optimizer, type OptimizerName } from '../src/train/optim.js';
import { Rng } from '../src/util/rng.js';

const SIZES = [64, 5, 4096, 48, 1, 192, 33, 8192, 128, 16];
const LR = 1e-3, WD = 0.01, STEPS = 4;

const values = (rng: Rng, n: number, scale: number) => Float32Array.from({ length: n }, () => (rng.nextFloat() * 2 - 1) * scale);

/** The gradient of parameter i at step s, or null when it gets none (parameter 3 at the first step, parameter 1 from the third). */
function gradOf(i: number, s: number): Float32Array | null {
  if ((i === 3 && s === 0) || (i === 1 && s >= 2)) return null;
  return values(new Rng(1000 * s + i), SIZES[i], 10 ** ((i % 5) - 2));
}

/** One Adam call per parameter, as before packing: the reference. */
function reference(K: Kernels, kind: OptimizerName, steps: number): { p: Float32Array[]; m: Float32Array[]; v: Float32Array[]; t: number[] } {
  const rng = new Rng(7);
  const p = SIZES.map((n) => values(rng, n, 1));
  const m = SIZES.map((n) => new Float32Array(n)), v = SIZES.map((n) => new Float32Array(n)), t = SIZES.map(() => 0);
  for (let s = 0; s < steps; s++) {
    SIZES.forEach((_, i) => {
      const g = gradOf(i, s);
      if (g === null) return;
      K.adamStep(p[i], g, m[i], v[i], LR, 0.9, 0.999, 1e-8, WD, ++t[i], kind === 'adamw');
    });
  }
  return { p, m, v, t };
}

/** The Optimizer over the same parameters: gradients written into their slots, parameter 6's handed over as a plain array. */
function packedRun(kind: OptimizerName, steps: number, restoreAt: number | null) {
  const rng = new Rng(7);
  let params: [string, Tensor][] = SIZES.map((n, i) => [`p${i}`, new Tensor(values(rng, n, 1), [n], true)]);
  let opt = new Optimizer(kind, params, { lr: LR, weightDecay: WD });
  for (let s = 0; s < steps; s++) {
    if (s === restoreAt) {
      // A resumed run: fresh parameters with the saved values, and the saved state.
      const st = opt.getState();
      params = params.map(([k, p]) => [k, new Tensor(p.data.slice(), p.shape, true)]);
      opt = new Optimizer(kind, params, { lr: LR, weightDecay: WD });
      opt.setState(st);
    }
    opt.zeroGrad();
    params.forEach(([, p], i) => {
      const g = gradOf(i, s);
      if (g === null) return;
      if (i === 6) p.grad = g.slice();
      else (p.gradTarget().buf as Float32Array).set(g);
    });
    opt.step();
  }
  return { params, state: opt.getState() };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const backends = [tsKernels, loadNativeKernels()].filter((k) => k !== null);
for (const K of backends) {
  describe(`packed Adam (${K.name})`, () => {
    for (const kind of ['adam', 'adamw'] as const) {
      for (const restoreAt of [null, 2]) {
        it(`${kind}${restoreAt === null ? '' : ', restored after step 2'}: the bits of one call per parameter`, () => {
          const prev = kernels();
          let calls = 0;
          useKernels({ ...K, adamStep: (...a: Parameters<Kernels['adamStep']>) => { calls++; K.adamStep(...a); } });
          try {
            const ref = reference(K, kind, STEPS);
            const { params, state } = packedRun(kind, STEPS, restoreAt);
            params.forEach(([k, p], i) => {
              assert.deepEqual(bits(p.data), bits(ref.p[i]), `${k} values`);
              assert.equal(state.steps[k], ref.t[i] || undefined, `${k} steps`);
              assert.deepEqual(bits(state.buffers.get(k)!.get('exp_avg')!), bits(ref.m[i]), `${k} exp_avg`);
              assert.deepEqual(bits(state.buffers.get(k)!.get('exp_avg_sq')!), bits(ref.v[i]), `${k} exp_avg_sq`);
            });
            // State keys in the order the parameters first stepped (p3 first stepped at the second step).
            assert.deepEqual(Object.keys(state.steps), ['p0', 'p1', 'p2', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p3']);
            // Packed: the values share one buffer, and the calls are fewer than the updates.
            assert.equal(params[0][1].data.buffer, params[9][1].data.buffer);
            const updates = ref.t.reduce((a, b) => a + b, 0);
            assert.ok(calls <= updates - STEPS, `${calls} calls for ${updates} parameter updates`);
          } finally {
            useKernels(prev);
          }
        });
      }
    }
  });
}

const native = loadNativeKernels();
describe('adamStep threads', () => {
  it('gives the same bits on 1 and 2 threads (splits at multiples of 16)', { skip: native === null ? 'native addon not built' : false }, () => {
    const K = native!;
    const before = K.getThreads();
    try {
      // Half of n is 8 past a multiple of 16: an unaligned split put an 8-wide step in each thread's range.
      const n = 2 * (16 * 411 + 8), rng = new Rng(11);
      for (let trial = 0; trial < 40; trial++) {
        const g = values(rng, n, 3), p1 = values(rng, n, 1), m1 = values(rng, n, 1), v1 = values(rng, n, 1).map(Math.abs);
        const [p2, m2, v2] = [p1.slice(), m1.slice(), v1.slice()];
        K.setThreads(1);
        K.adamStep(p1, g, m1, v1, LR, 0.9, 0.999, 1e-8, WD, 3, true);
        K.setThreads(2);
        K.adamStep(p2, g, m2, v2, LR, 0.9, 0.999, 1e-8, WD, 3, true);
        assert.deepEqual(bits(p2), bits(p1), `values, trial ${trial}`);
        assert.deepEqual(bits(m2), bits(m1), `exp_avg, trial ${trial}`);
        assert.deepEqual(bits(v2), bits(v1), `exp_avg_sq, trial ${trial}`);
      }
    } finally {
      K.setThreads(before);
    }
  });
});
