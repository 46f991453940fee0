// The fused decay mask (ops.decayMask, kernels decayMask/decayMaskBackward) against
// the unfused chain it replaced (expand distances to the mask layout, gather the
// per-head hop, sub, leaky_relu, pow / log-sigmoid-mul-exp), on both backends:
// forward values bit for bit, gradients of hop and the gamma logit to float32
// accumulation precision, including the leaky_relu kink (hop on an integer
// distance: leaky'(0) = slope, as PyTorch). Finite differences through the tape
// are in ops_grad.test.ts ('decay mask').
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, type BackendName } from '../src/tensor/backend.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { decayMask, maskLayout } from '../src/models/attention.js';
import { Rng } from './helpers/rng.js';

/** The pre-fusion implementation (src/models/attention.ts before the fused kernel). */
function chain(spd: Uint16Array, spdPtr: Int32Array, hop: Tensor, gamma: number, slope: number, logit: Tensor | null): Tensor {
  const H = hop.size;
  const dist = new Float32Array(H * spd.length), head = new Int32Array(H * spd.length);
  let o = 0;
  for (let b = 0; b + 1 < spdPtr.length; b++) {
    const s = spdPtr[b], len = spdPtr[b + 1] - s;
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < len; i++) dist[o + i] = spd[s + i];
      head.fill(h, o, o + len);
      o += len;
    }
  }
  const e = ops.leakyRelu(ops.sub(new Tensor(dist, [dist.length, 1]), ops.gatherRows(hop.reshape([H, 1]), head)), slope);
  if (logit === null) return ops.powBase(gamma, e);
  const lg = ops.log(ops.sigmoid(logit.reshape([H, 1])));
  return ops.exp(ops.mul(e, ops.gatherRows(lg, head)));
}

function grads(f: () => Tensor, R: Tensor, params: Tensor[]): { out: Float32Array; g: Float32Array[] } {
  for (const p of params) p.grad = null;
  const out = f();
  ops.sum(ops.mul(out, R)).backward();
  return { out: out.data, g: params.map((p) => Float32Array.from(p.grad!)) };
}

const backends: BackendName[] = loadNativeKernels() ? ['ts', 'native'] : ['ts'];
for (const be of backends) {
  describe(`fused decay mask equals the unfused chain (${be})`, () => {
    const rng = new Rng(5);
    const sizes = [4, 1, 6, 3];
    const spdPtr = new Int32Array(sizes.length + 1);
    sizes.forEach((n, i) => { spdPtr[i + 1] = spdPtr[i] + n * n; });
    const spd = Uint16Array.from({ length: spdPtr[sizes.length] }, () => (rng.next() < 0.1 ? 510 : rng.int(5)));
    const H = 3;
    const cases: [string, number[]][] = [['hop off the integers', [1.3, 0.45, 2.7]], ['hop on integer distances (kink)', [2, 0, 1]]];
    for (const [what, hopVals] of cases) {
      for (const learn of [false, true]) {
        it(`${what}, ${learn ? 'learnable' : 'fixed'} gamma`, () => {
          setBackend(be);
          const hop = new Tensor(Float32Array.from(hopVals), [H, 1, 1], true);
          const logit = learn ? new Tensor(Float32Array.of(0.3, -0.4, 1.1), [H, 1, 1], true) : null;
          const params = logit ? [hop, logit] : [hop];
          const R = new Tensor(rng.f32(H * spd.length), [H * spd.length, 1]);
          const fused = grads(() => decayMask(maskLayout(spd, spdPtr, H), hop, 0.6, 0.1, logit), R, params);
          const ref = grads(() => chain(spd, spdPtr, hop, 0.6, 0.1, logit), R, params);
          assert.deepEqual(fused.out, ref.out, 'forward values bit for bit');
          assert.ok(fused.out.some((v) => v === 0), 'unreachable pairs give exactly 0');
          fused.g.forEach((g, pi) => {
            for (let h = 0; h < H; h++) {
              // The chain sums per entry in float32 (~1e-6 relative for these sizes); the fused op in double.
              const tol = 2e-5 * Math.max(1, Math.abs(ref.g[pi][h]));
              assert.ok(Math.abs(g[h] - ref.g[pi][h]) <= tol, `${pi === 0 ? 'hop' : 'logit'} grad[${h}]: fused ${g[h]}, chain ${ref.g[pi][h]}`);
            }
          });
        });
      }
    }
    it('rejects a hop with the wrong number of heads', () => {
      setBackend(be);
      assert.throws(() => decayMask(maskLayout(spd, spdPtr, H), new Tensor(new Float32Array(2), [2, 1, 1]), 0.6, 0.1), /decayMask: hop has 2 values, the layout 3 heads/);
    });
  });
}
