// The fused GINE message (ops.gineMessage, kernels gineMessage/gineMessageBackward)
// against the unfused chain it replaced (gatherRows, add, relu, scatterAddRows), on
// both backends: forward values and gradients bit for bit (same float32 roundings,
// same edge order), including pre-activations exactly 0 (relu'(0) = 0) and NaN;
// native against the TypeScript twin on 2 threads; finite differences; bad input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, type BackendName } from '../src/tensor/backend.js';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from './helpers/rng.js';

function graph(rng: Rng, N: number, E: number, C: number) {
  const src = Int32Array.from({ length: E }, () => rng.int(N));
  const dst = Int32Array.from({ length: E }, () => rng.int(N));
  const xv = rng.f32(N * C).map((v) => v * 2 - 1);
  const ev = rng.f32(E * C).map((v) => v * 2 - 1);
  // Exact zeros of x[src] + e: the relu kink, where both paths must give gradient 0.
  for (let k = 0; k < E; k += 3) ev[k * C] = -xv[src[k] * C];
  return { src, dst, xv, ev };
}

function run(f: (x: Tensor, e: Tensor) => Tensor, xv: Float32Array, ev: Float32Array, N: number, E: number, C: number, R: Float32Array) {
  const x = new Tensor(xv.slice(), [N, C], true), e = new Tensor(ev.slice(), [E, C], true);
  const out = f(x, e);
  const val = Float32Array.from(out.data);
  ops.sum(ops.mul(out, new Tensor(R, out.shape))).backward();
  return { val, gx: Float32Array.from(x.grad!), ge: Float32Array.from(e.grad!) };
}

const backends: BackendName[] = loadNativeKernels() ? ['ts', 'native'] : ['ts'];
for (const be of backends) {
  describe(`gineMessage equals gather + add + relu + scatterAdd (${be})`, () => {
    it('values and gradients bit for bit, kink included', () => {
      setBackend(be);
      const rng = new Rng(11);
      const N = 37, E = 90, C = 70;
      const { src, dst, xv, ev } = graph(rng, N, E, C);
      const R = rng.f32(N * C);
      const fused = run((x, e) => ops.gineMessage(x, e, src, dst, N), xv, ev, N, E, C, R);
      const chain = run((x, e) => ops.scatterAddRows(ops.relu(ops.add(ops.gatherRows(x, src), e)), dst, N), xv, ev, N, E, C, R);
      assert.deepEqual(fused.val, chain.val);
      assert.deepEqual(fused.gx, chain.gx);
      assert.deepEqual(fused.ge, chain.ge);
    });
    it('NaN propagates as through relu', () => {
      setBackend(be);
      const x = new Tensor(Float32Array.of(NaN, 1, -2, 3), [2, 2]);
      const e = new Tensor(Float32Array.of(0, 0, 0, 0), [2, 2]);
      const out = ops.gineMessage(x, e, Int32Array.of(0, 1), Int32Array.of(1, 1), 2);
      assert.deepEqual(Array.from(out.data), [0, 0, NaN, 4]);
    });
    it('finite differences away from the kink', () => {
      setBackend(be);
      const rng = new Rng(3);
      const N = 5, E = 9, C = 4;
      const { src, dst, xv, ev } = graph(rng, N, E, C);
      for (let k = 0; k < E; k += 3) ev[k * C] += 0.5; // move the planted kinks away
      const R = rng.f32(N * C);
      const loss = (xa: Float32Array, ea: Float32Array) => {
        const o = ops.gineMessage(new Tensor(xa, [N, C]), new Tensor(ea, [E, C]), src, dst, N).data;
        let s = 0;
        for (let i = 0; i < o.length; i++) s += o[i] * R[i];
        return s;
      };
      const an = run((x, e) => ops.gineMessage(x, e, src, dst, N), xv, ev, N, E, C, R);
      const h = 1e-2;
      const check = (arr: Float32Array, other: Float32Array, isX: boolean, g: Float32Array) => {
        for (let i = 0; i < arr.length; i++) {
          const p = arr.slice(), m = arr.slice();
          p[i] += h; m[i] -= h;
          const fd = isX ? (loss(p, other) - loss(m, other)) / (2 * h) : (loss(other, p) - loss(other, m)) / (2 * h);
          assert.ok(Math.abs(fd - g[i]) <= 2e-3 * Math.max(1, Math.abs(fd)), `${isX ? 'x' : 'e'}[${i}]: fd ${fd}, analytic ${g[i]}`);
        }
      };
      // Skip entries within h of a kink (none expected after the shift, checked here).
      for (let k = 0; k < E; k++) for (let c = 0; c < C; c++) {
        assert.ok(Math.abs(xv[src[k] * C + c] + ev[k * C + c]) > h, 'test data has no kink within h');
      }
      check(xv, ev, true, an.gx);
      check(ev, xv, false, an.ge);
    });
    it('rejects bad input with the kernel name', () => {
      setBackend(be);
      const x = new Tensor(new Float32Array(8), [4, 2]), e = new Tensor(new Float32Array(6), [3, 2]);
      assert.throws(() => ops.gineMessage(x, e, Int32Array.of(0, 1, 4), Int32Array.of(0, 0, 0), 4), /gineMessage: src\[2\] = 4 is out of range/);
      assert.throws(() => ops.gineMessage(x, e, Int32Array.of(0, 1, 2), Int32Array.of(0, 0), 4), /gineMessage: dst/);
      assert.throws(() => ops.gineMessage(x, e, Int32Array.of(0, 1), Int32Array.of(0, 0), 4), /gineMessage: needs x \[N, C\] and e \[E, C\]/);
    });
  });
}

const native = loadNativeKernels();
if (native) {
  it('native gineMessage(Backward) equal the TypeScript twin on 2, 3 and 7 threads, null gradients skipped', () => {
    const before = native.getThreads();
    for (const threads of [2, 3, 7]) {
    native.setThreads(threads);
    try {
      const rng = new Rng(7);
      const N = 300, E = 900, C = 96;
      const { src, dst, xv, ev } = graph(rng, N, E, C);
      const g = rng.f32(N * C);
      const oT = new Float32Array(N * C), oN = new Float32Array(N * C);
      tsKernels.gineMessage(xv, ev, src, dst, oT, N, N, C);
      native.gineMessage(xv, ev, src, dst, oN, N, N, C);
      assert.deepEqual(oN, oT);
      const gxT = rng.f32(N * C), geT = rng.f32(E * C), gxN = gxT.slice(), geN = geT.slice();
      tsKernels.gineMessageBackward(xv, ev, src, dst, g, gxT, geT, N, N, C);
      native.gineMessageBackward(xv, ev, src, dst, g, gxN, geN, N, N, C);
      assert.deepEqual(gxN, gxT);
      assert.deepEqual(geN, geT);
      const ge2 = new Float32Array(E * C);
      native.gineMessageBackward(xv, ev, src, dst, g, null, ge2, N, N, C);
      const ge2T = new Float32Array(E * C);
      tsKernels.gineMessageBackward(xv, ev, src, dst, g, null, ge2T, N, N, C);
      assert.deepEqual(ge2, ge2T);
      assert.throws(() => native.gineMessageBackward(xv, ev, src, dst, g, new Float32Array(3), null, N, N, C), /gineMessageBackward: gx/);
    } finally {
      native.setThreads(before);
    }
    }
  });
}
