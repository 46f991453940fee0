// The fused GatedGCN message (ops.gatedGcnMessage, kernels gatedGcnMessage(Backward))
// against the unfused chain it replaced in GatedGCNLayer (three gathers, adds, sigmoid,
// the PE gate mul, two scatters, add_scalar, div): the quotient, g and every gradient
// bit for bit (Float32Array bytes), with and without the gate, with inputs that do and
// do not need gradients, directly and behind Linear layers sharing one x (so x's
// gradient sums its contributions in the tape's order), on both backends and on
// 1, 2, 3 and 7 native threads; the native kernels against the TypeScript twin; bad input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, setThreads, getThreads, type BackendName } from '../src/tensor/backend.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { loadNativeAddon, loadNativeKernels } from '../src/tensor/kernels_native.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from './helpers/rng.js';

const EPS = 1e-6;

/** A random graph with repeated and missing destinations and self loops. */
function graph(rng: Rng, N: number, E: number) {
  const src = Int32Array.from({ length: E }, () => rng.int(N));
  // Destinations from the first 3/4 of the nodes only (the rest get no message), many repeats.
  const dst = Int32Array.from({ length: E }, () => rng.int(Math.max(1, Math.floor((3 * N) / 4))));
  for (let k = 0; k < E; k += 7) src[k] = dst[k]; // self loops
  return { src, dst };
}

type Msg = (Dx: Tensor, Ex: Tensor, Ce: Tensor, Bx: Tensor, gate: Tensor | null, src: Int32Array, dst: Int32Array, N: number) => { q: Tensor; g: Tensor };

/** The chain exactly as GatedGCNLayer.forward wrote it before the fusion. */
const chain: Msg = (Dx, Ex, Ce, Bx, gate, src, dst, N) => {
  const g = ops.add(ops.add(ops.gatherRows(Dx, dst), ops.gatherRows(Ex, src)), Ce);
  let s = ops.sigmoid(g);
  if (gate) s = ops.mul(s, gate);
  const num = ops.scatterAddRows(ops.mul(s, ops.gatherRows(Bx, src)), dst, N);
  const den = ops.scatterAddRows(s, dst, N);
  return { q: ops.div(num, ops.addScalar(den, EPS)), g };
};
const fused: Msg = (Dx, Ex, Ce, Bx, gate, src, dst, N) => ops.gatedGcnMessage(Dx, Ex, Ce, Bx, gate, src, dst, N, EPS);

interface Case { N: number; E: number; C: number; gate: boolean; layer: boolean; grads: string }

/**
 * Runs msg on seeded data and back-propagates sum((Ax + q) * R). `layer`: Dx, Ex, Bx,
 * Ax = Linear(x) of one x and Ce = Linear(edgeAttr), gate = sigmoid(Linear(r)), as in the
 * layer; otherwise leaves. `grads` lists the leaves that require a gradient.
 * Returns every value and gradient as bytes.
 */
function run(msg: Msg, cs: Case, seed: number): Record<string, Buffer> {
  const rng = new Rng(seed);
  const { N, E, C } = cs;
  const { src, dst } = graph(rng, N, E);
  const leaf = (name: string, v: Float32Array, shape: number[]) => new Tensor(v, shape, cs.grads.includes(name));
  const R = new Tensor(rng.f32(N * C), [N, C]);
  const out: Record<string, Buffer> = {};
  const bytes = (a: Float32Array) => Buffer.from(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  let leaves: Record<string, Tensor>;
  let res: { q: Tensor; g: Tensor }, Ax: Tensor;
  if (cs.layer) {
    const x = leaf('x', rng.f32(N * C), [N, C]), ea = leaf('ea', rng.f32(E * C), [E, C]);
    const W = (name: string, i: number, o: number) => leaf(name, rng.f32(o * i, -0.3, 0.3), [o, i]);
    const lin = (t: Tensor, name: string, i: number, o: number) => ops.linear(t, W(name, i, o), leaf(name + 'b', rng.f32(o), [o]));
    const r = leaf('r', rng.f32(E, 0, 2), [E, 1]);
    Ax = lin(x, 'A', C, C);
    const Bx = lin(x, 'B', C, C), Ce = lin(ea, 'C', C, C), Dx = lin(x, 'D', C, C), Ex = lin(x, 'E', C, C);
    const gate = cs.gate ? ops.sigmoid(lin(r, 'P', 1, 1)) : null;
    res = msg(Dx, Ex, Ce, Bx, gate, src, dst, N);
    leaves = { x, ea, r };
  } else {
    const Dx = leaf('Dx', rng.f32(N * C, -3, 3), [N, C]), Ex = leaf('Ex', rng.f32(N * C, -3, 3), [N, C]);
    const Ce = leaf('Ce', rng.f32(E * C, -3, 3), [E, C]), Bx = leaf('Bx', rng.f32(N * C, -2, 2), [N, C]);
    const gate = cs.gate ? leaf('gate', rng.f32(E, 0, 1), [E, 1]) : null;
    Ax = new Tensor(rng.f32(N * C), [N, C]);
    res = msg(Dx, Ex, Ce, Bx, gate, src, dst, N);
    leaves = { Dx, Ex, Ce, Bx, ...(gate ? { gate } : {}) };
  }
  out.q = bytes(Float32Array.from(res.q.data));
  out.g = bytes(Float32Array.from(res.g.data));
  if (res.q.requiresGrad) ops.sum(ops.mul(ops.add(Ax, res.q), R)).backward();
  for (const [name, t] of Object.entries(leaves)) if (t.requiresGrad) out['grad ' + name] = t.grad ? bytes(t.grad) : Buffer.from('none');
  return out;
}

function assertSame(a: Record<string, Buffer>, b: Record<string, Buffer>, what: string): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: the same outputs and gradients exist`);
  for (const k of Object.keys(a)) {
    let first = -1;
    for (let i = 0; i < a[k].length && first < 0; i += 4) if (a[k].readUInt32LE(i) !== b[k].readUInt32LE(i)) first = i / 4;
    assert.ok(a[k].equals(b[k]), `${what}: ${k} differs (first at element ${first}: ${first >= 0 ? `${a[k].readFloatLE(first * 4)} vs ${b[k].readFloatLE(first * 4)}` : ''})`);
  }
}

const small = { N: 37, E: 150, C: 70 };
const cases: Case[] = [];
for (const gate of [false, true]) {
  cases.push({ ...small, gate, layer: false, grads: 'Dx Ex Ce Bx gate' });
  cases.push({ ...small, gate, layer: false, grads: 'Bx' });           // only the message values
  cases.push({ ...small, gate, layer: false, grads: 'Dx Ce gate' });   // no B x, no E x
  cases.push({ ...small, gate, layer: false, grads: 'Ex' });
  cases.push({ ...small, gate, layer: true, grads: 'x ea r A Ab B Bb C Cb D Db E Eb P Pb' });
  cases.push({ ...small, gate, layer: true, grads: 'x B Bb' });
  // Wider than the kernels' column chunks (256 and 128).
  cases.push({ N: 40, E: 130, C: 300, gate, layer: false, grads: 'Dx Ex Ce Bx gate' });
}

const backends: BackendName[] = loadNativeKernels() ? ['ts', 'native'] : ['ts'];
for (const be of backends) {
  describe(`gatedGcnMessage equals the unfused chain bit for bit (${be})`, () => {
    const threadCounts = be === 'native' ? [1, 2, 3, 7] : [1];
    for (const th of threadCounts) {
      it(`q, g and every gradient, ${cases.length} cases${be === 'native' ? `, ${th} thread(s)` : ''}`, () => {
        setBackend(be);
        const before = getThreads();
        setThreads(th);
        try {
          cases.forEach((cs, i) => assertSame(run(fused, cs, 100 + i), run(chain, cs, 100 + i), `${be} t${th} ${JSON.stringify(cs)}`));
          // Big enough that every phase of the native kernels forks (E*C and outRows*C >= 65536, C >= 64).
          const big: Case = { N: 700, E: 2100, C: 100, gate: true, layer: false, grads: 'Dx Ex Ce Bx gate' };
          assertSame(run(fused, big, 7), run(chain, big, 7), `${be} t${th} big`);
          assertSame(run(fused, { ...big, gate: false }, 8), run(chain, { ...big, gate: false }, 8), `${be} t${th} big, no gate`);
        } finally {
          setThreads(before);
        }
      });
    }
    it('no gradients recorded without inputs that need one; distinct tensors required', () => {
      setBackend(be);
      const t = (r: number, c: number) => new Tensor(new Float32Array(r * c).fill(0.5), [r, c]);
      const { q } = ops.gatedGcnMessage(t(3, 2), t(3, 2), t(2, 2), t(3, 2), null, Int32Array.of(0, 1), Int32Array.of(2, 2), 3, EPS);
      assert.equal(q.requiresGrad, false);
      const s = Math.fround(1 / (1 + Math.exp(-1.5))); // two edges into node 2, none into 0 and 1
      const q2 = Math.fround(Math.fround(s * 0.5 + s * 0.5) / Math.fround(2 * s + 1e-6));
      assert.deepEqual(Array.from(q.data), [0, 0, 0, 0, q2, q2]);
      const x = t(3, 2);
      assert.throws(() => ops.gatedGcnMessage(x, x, t(2, 2), t(3, 2), null, Int32Array.of(0, 1), Int32Array.of(2, 2), 3, EPS),
        /gatedGcnMessage: Dx, Ex, Ce, Bx and gate must be distinct tensors/);
      assert.throws(() => ops.gatedGcnMessage(t(3, 2), t(3, 2), t(3, 2), t(3, 2), null, Int32Array.of(0, 1), Int32Array.of(2, 2), 3, EPS),
        /gatedGcnMessage: needs Dx, Ex, Bx \[N, C\] and Ce \[E, C\] with E = 2 edges/);
      assert.throws(() => ops.gatedGcnMessage(t(3, 2), t(3, 2), t(2, 2), t(3, 2), t(3, 1), Int32Array.of(0, 1), Int32Array.of(2, 2), 3, EPS),
        /gatedGcnMessage: gate \[3, 1\] needs one value per edge \(2\)/);
    });
  });
}

/** Raw kernel arguments for the twin and error tests. */
function kernelArgs(seed: number, N: number, E: number, C: number, withGate: boolean) {
  const rng = new Rng(seed);
  const { src, dst } = graph(rng, N, E);
  return {
    src, dst, N, E, C,
    Dx: rng.f32(N * C, -3, 3), Ex: rng.f32(N * C, -3, 3), Ce: rng.f32(E * C, -3, 3), Bx: rng.f32(N * C, -2, 2),
    gate: withGate ? rng.f32(E, 0, 1) : null, gq: rng.f32(N * C),
  };
}

const native = loadNativeKernels();
if (native) {
  it('native gatedGcnMessage(Backward) equal the TypeScript twin on 1, 2, 3 and 7 threads, null gradients skipped', () => {
    const before = native.getThreads();
    try {
      for (const th of [1, 2, 3, 7]) for (const withGate of [false, true]) {
        native.setThreads(th);
        const a = kernelArgs(31 + th, 700, 2100, 100, withGate);
        const { N, E, C } = a;
        const fwd = (K: Kernels) => {
          const o = { g: new Float32Array(E * C), s0: new Float32Array(E * C), num: new Float32Array(N * C).fill(7), dp: new Float32Array(N * C).fill(7), q: new Float32Array(N * C) };
          K.gatedGcnMessage(a.Dx, a.Ex, a.Ce, a.Bx, a.gate, a.src, a.dst, o.g, o.s0, o.num, o.dp, o.q, N, N, C, EPS);
          return o;
        };
        const fT = fwd(tsKernels), fN = fwd(native);
        for (const k of ['g', 's0', 'num', 'dp', 'q'] as const) assert.deepEqual(fN[k], fT[k], `t${th} gate=${withGate}: ${k}`);
        const bwd = (K: Kernels, which: string) => {
          const rng = new Rng(5); // the same non-zero starting gradients on both sides: the kernels add into them
          const opt = (name: string, n: number) => (which.includes(name) ? rng.f32(n) : null);
          const o = { gDx: opt('gDx', N * C), gEx: opt('gEx', N * C), gCe: opt('gCe', E * C), gBx: opt('gBx', N * C), ggate: withGate ? opt('ggate', E) : null };
          K.gatedGcnMessageBackward(a.Bx, a.gate, fT.s0, fT.num, fT.dp, a.src, a.dst, a.gq, new Float32Array(2 * N * C),
            o.gDx, o.gEx, o.gCe, o.gBx, o.ggate, N, N, C);
          return o;
        };
        for (const which of ['gDx gEx gCe gBx ggate', 'gBx', 'gCe ggate', 'gDx']) {
          const bT = bwd(tsKernels, which), bN = bwd(native, which);
          for (const k of ['gDx', 'gEx', 'gCe', 'gBx', 'ggate'] as const) assert.deepEqual(bN[k], bT[k], `t${th} gate=${withGate} [${which}]: ${k}`);
        }
      }
    } finally {
      native.setThreads(before);
    }
  });
}

describe('gatedGcnMessage kernels reject bad input, naming the kernel and the argument', () => {
  const a = kernelArgs(9, 5, 8, 3, true);
  const { N, E, C } = a;
  const f = (n: number) => new Float32Array(n);
  const impls: [string, (...args: unknown[]) => void, (...args: unknown[]) => void][] = [['ts', tsKernels.gatedGcnMessage as never, tsKernels.gatedGcnMessageBackward as never]];
  const raw = loadNativeAddon();
  if (raw) impls.push(['native C checks', raw.gatedGcnMessage as never, raw.gatedGcnMessageBackward as never]);
  for (const [name, fw, bw] of impls) {
    it(name, () => {
      const fwArgs = (o: Partial<Record<string, unknown>>) => {
        const v = { Dx: a.Dx.subarray(0, N * C), Ex: a.Ex.subarray(0, N * C), Ce: a.Ce.subarray(0, E * C), Bx: a.Bx.subarray(0, N * C), gate: a.gate, src: a.src, dst: a.dst,
          g: f(E * C), s0: f(E * C), num: f(N * C), dp: f(N * C), q: f(N * C), xRows: N, outRows: N, cols: C, eps: EPS, ...o };
        return [v.Dx, v.Ex, v.Ce, v.Bx, v.gate, v.src, v.dst, v.g, v.s0, v.num, v.dp, v.q, v.xRows, v.outRows, v.cols, v.eps];
      };
      fw(...fwArgs({})); // valid
      assert.throws(() => fw(...fwArgs({ src: Int32Array.of(0, 1, 2, 3, 4, 5, 0, 0) })), /gatedGcnMessage: src\[5\] = 5 is out of range \[0, xRows\)/);
      assert.throws(() => fw(...fwArgs({ outRows: 4, num: f(4 * C), dp: f(4 * C), q: f(4 * C), dst: Int32Array.of(0, 1, 2, 3, 4, 0, 0, 0) })), /gatedGcnMessage: dst\[4\] = 4 is out of range \[0, min\(xRows, outRows\)\)/);
      assert.throws(() => fw(...fwArgs({ gate: f(E - 1) })), /gatedGcnMessage: gate has 7 elements, expected E = 8/);
      assert.throws(() => fw(...fwArgs({ Dx: f(N * C + 1) })), /gatedGcnMessage: Dx has 16 elements, expected xRows\*cols = 15/);
      assert.throws(() => fw(...fwArgs({ q: f(3) })), /gatedGcnMessage: q has 3 elements, expected outRows\*cols = 15/);
      assert.throws(() => fw(...fwArgs({ dst: Int32Array.of(0) })), /gatedGcnMessage: dst has 1/);
      assert.throws(() => fw(...fwArgs({ Ce: new Float64Array(E * C) })), /gatedGcnMessage: Ce must be a Float32Array, got Float64Array/);
      const bwArgs = (o: Partial<Record<string, unknown>>) => {
        const v = { Bx: a.Bx.subarray(0, N * C), gate: a.gate, s0: f(E * C), num: f(N * C), dp: f(N * C).fill(1), src: a.src, dst: a.dst, gq: f(N * C), work: f(2 * N * C),
          gDx: f(N * C), gEx: null, gCe: f(E * C), gBx: null, ggate: f(E), xRows: N, outRows: N, cols: C, ...o };
        return [v.Bx, v.gate, v.s0, v.num, v.dp, v.src, v.dst, v.gq, v.work, v.gDx, v.gEx, v.gCe, v.gBx, v.ggate, v.xRows, v.outRows, v.cols];
      };
      bw(...bwArgs({})); // valid
      assert.throws(() => bw(...bwArgs({ work: f(N * C) })), /gatedGcnMessageBackward: work has 15 elements, expected 2\*outRows\*cols = 30/);
      assert.throws(() => bw(...bwArgs({ gate: null })), /gatedGcnMessageBackward: ggate is given but gate is null/);
      assert.throws(() => bw(...bwArgs({ gEx: f(2) })), /gatedGcnMessageBackward: gEx has 2 elements, expected xRows\*cols = 15/);
      assert.throws(() => bw(...bwArgs({ s0: f(2) })), /gatedGcnMessageBackward: s0 has 2 elements, expected E\*cols = 24/);
      assert.throws(() => bw(...bwArgs({ cols: -1 })), /gatedGcnMessageBackward: cols must be a non-negative integer, got -1/);
    });
  }
});
