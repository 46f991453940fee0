// The WebAssembly kernels (the C of native/ built by `npm run build:wasm`) against
// the TypeScript reference: the agreement suite the native addon passes
// (test/helpers/kernel_agreement.ts: every kernel, forward and backward, with its
// edge cases), the device cases the CUDA backend is held to (kernel_cases.ts),
// the kernels the first suite leaves to other files (dropout masks, the fused GINE
// and GatedGCN messages), and what the binding itself must get right:
// in-place calls, arrays larger than the heap arena, the table's error messages,
// and GRADFORMER_BACKEND=wasm.
//
// This file tests the build the loader picks, gradformer-relaxed.wasm where the
// engine runs relaxed SIMD (every Node from 20: the loader turns on Node 20's flag);
// kernels_wasm_simd128.test.ts runs the same suites on gradformer.wasm.
//
// The module must be built (CI does, after installing clang): a missing one FAILS
// this file, saying how to build it.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Kernels } from '../src/tensor/kernels.js';
import { tsKernels as T } from '../src/tensor/kernels_ts.js';
import { relaxedSimdSupported, WASM_FILES, wasmFileName } from '../src/tensor/kernels_wasm.js';
import { loadWasmKernels, wasmPath } from '../src/tensor/kernels_wasm_node.js';
import { Rng as ProjectRng } from '../src/util/rng.js';
import { registerAgreementTests } from './helpers/kernel_agreement.js';
import { KERNEL_CASES } from './helpers/kernel_cases.js';
import { Rng } from './helpers/rng.js';

let W: Kernels | null = null;
let loadError = '';
try {
  W = loadWasmKernels();
} catch (e) {
  loadError = (e as Error).message;
}

if (W === null) {
  test('wasm kernels are built', () => assert.fail(`wasm kernels not loadable: ${loadError}`));
} else {
  registerAgreementTests(W);
  registerWasmTests(W);
}

function registerWasmTests(K: Kernels): void {
  describe('wasm vs ts: the device cases (test/helpers/kernel_cases.ts: empty batches, 1-node and 500+-node graphs, every preset head count)', () => {
    for (const c of KERNEL_CASES) it(c.name, () => c.run(K, T));
  });

  describe('wasm vs ts: dropout masks from the project generator', () => {
    for (const [seed, n, thr, below] of [[0, 0, 0.5, false], [1, 1, 0.5, false], [42, 10007, 0.1, false], [3, 4096, 0.9, true], [5, 333, 0, false], [6, 333, 1, true]] as const) {
      it(`seed ${seed}, n ${n}, threshold ${thr}, below ${below}: same values and final state`, () => {
        const st = Uint32Array.from(new ProjectRng(seed).getState().s), stT = st.slice();
        const keep = 1 / (1 - Math.min(thr, 0.5));
        const got = new Float32Array(n).fill(3), want = new Float32Array(n);
        K.uniformMask(st, got, thr, keep, below);
        T.uniformMask(stT, want, thr, keep, below);
        assert.deepEqual(got, want);
        assert.deepEqual(st, stT);
      });
    }
  });

  describe('wasm vs ts: fused GINE and GatedGCN messages', () => {
    it('gineMessage(Backward): same bits, null gradients skipped', () => {
      const rng = new Rng(7);
      const N = 300, E = 900, C = 96;
      const src = Int32Array.from({ length: E }, () => rng.int(N)), dst = Int32Array.from({ length: E }, () => rng.int(N));
      const x = rng.f32(N * C), e = rng.f32(E * C), g = rng.f32(N * C);
      for (let k = 0; k < E; k += 3) e[k * C] = -x[src[k] * C]; // relu kink: pre-activation exactly 0
      const oT = rng.f32(N * C), oW = oT.slice();
      T.gineMessage(x, e, src, dst, oT, N, N, C);
      K.gineMessage(x, e, src, dst, oW, N, N, C);
      assert.deepEqual(oW, oT);
      for (const [wantX, wantE] of [[true, true], [false, true], [true, false]]) {
        const gxT = wantX ? rng.f32(N * C) : null, geT = wantE ? rng.f32(E * C) : null;
        const gxW = gxT && gxT.slice(), geW = geT && geT.slice();
        T.gineMessageBackward(x, e, src, dst, g, gxT, geT, N, N, C);
        K.gineMessageBackward(x, e, src, dst, g, gxW, geW, N, N, C);
        assert.deepEqual(gxW, gxT);
        assert.deepEqual(geW, geT);
      }
    });
    it('gatedGcnMessage(Backward): same bits with and without a gate, any subset of gradients', () => {
      for (const withGate of [false, true]) {
        const rng = new Rng(withGate ? 32 : 31);
        const N = 700, E = 2100, C = 100, EPS = 1e-6;
        const src = Int32Array.from({ length: E }, () => rng.int(N)), dst = Int32Array.from({ length: E }, () => rng.int(N));
        const Dx = rng.f32(N * C, -3, 3), Ex = rng.f32(N * C, -3, 3), Ce = rng.f32(E * C, -3, 3), Bx = rng.f32(N * C, -2, 2);
        const gate = withGate ? rng.f32(E, 0, 1) : null, gq = rng.f32(N * C);
        const fwd = (B: Kernels) => {
          // Outputs start as garbage: the kernel writes every element.
          const o = { g: new Float32Array(E * C).fill(7), s0: new Float32Array(E * C).fill(7), num: new Float32Array(N * C).fill(7),
            dp: new Float32Array(N * C).fill(7), q: new Float32Array(N * C).fill(7) };
          B.gatedGcnMessage(Dx, Ex, Ce, Bx, gate, src, dst, o.g, o.s0, o.num, o.dp, o.q, N, N, C, EPS);
          return o;
        };
        const fT = fwd(T), fW = fwd(K);
        for (const k of ['g', 's0', 'num', 'dp', 'q'] as const) assert.deepEqual(fW[k], fT[k], `gate=${withGate}: ${k}`);
        for (const which of ['gDx gEx gCe gBx ggate', 'gBx', 'gCe ggate', 'gDx']) {
          const bwd = (B: Kernels) => {
            const r = new Rng(5); // the same non-zero starting gradients on both sides: the kernels add into them
            const opt = (name: string, n: number) => (which.includes(name) ? r.f32(n) : null);
            const o = { gDx: opt('gDx', N * C), gEx: opt('gEx', N * C), gCe: opt('gCe', E * C), gBx: opt('gBx', N * C), ggate: withGate ? opt('ggate', E) : null };
            B.gatedGcnMessageBackward(Bx, gate, fT.s0, fT.num, fT.dp, src, dst, gq, new Float32Array(2 * N * C), o.gDx, o.gEx, o.gCe, o.gBx, o.ggate, N, N, C);
            return o;
          };
          const bT = bwd(T), bW = bwd(K);
          for (const k of ['gDx', 'gEx', 'gCe', 'gBx', 'ggate'] as const) assert.deepEqual(bW[k], bT[k], `gate=${withGate} [${which}]: ${k}`);
        }
      }
    });
  });

  describe('the wasm build loaded', () => {
    it('is gradformer-relaxed.wasm: this Node runs relaxed SIMD (Node 22+; Node 20 once the loader turned its flag on)', () => {
      assert.equal(relaxedSimdSupported(), true, 'relaxed SIMD does not validate here, so gradformer-relaxed.wasm is not the build under test');
      assert.equal(wasmFileName(), WASM_FILES.relaxed);
      assert.equal(wasmPath()?.endsWith('dist/wasm/gradformer-relaxed.wasm'), true, String(wasmPath()));
    });
    it('engines without relaxed SIMD get gradformer.wasm', () => {
      assert.equal(wasmFileName(false), 'gradformer.wasm');
      assert.equal(wasmPath(wasmFileName(false))?.endsWith('dist/wasm/gradformer.wasm'), true);
    });
  });

  describe('wasm binding', () => {
    it('in-place calls (out === a, out === x) stay in place', () => {
      const rng = new Rng(3);
      const a = rng.f32(6 * 5), b = rng.f32(5), aT = a.slice();
      K.binary('add', a, b, a, 6, 5, 'row');
      T.binary('add', aT, b, aT, 6, 5, 'row');
      assert.deepEqual(a, aT);
      const x = rng.f32(1000, -2, 2), xT = x.slice();
      K.unary('sigmoid', x, x, 0);
      T.unary('sigmoid', xT, xT, 0);
      assert.deepEqual(x, xT);
    });
    it('arrays far larger than the last call (the arena and the wasm memory grow) and subarray views', () => {
      const rng = new Rng(4);
      const n = 24 << 20; // 96 MiB of float32 per array
      const x = new Float32Array(n);
      for (let i = 0; i < n; i += 4096) x[i] = rng.uniform(-1, 1);
      // Double sums over 24M terms in another order (C: vector lanes): equal to ~1e-14 relative.
      const near = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.abs(b), `${a} vs ${b}`);
      near(K.sumSquares(x), T.sumSquares(x));
      const big = new Float32Array(n), bigT = new Float32Array(n);
      K.unary('scale', x, big, 3);
      T.unary('scale', x, bigT, 3);
      assert.deepEqual(big.subarray(0, 1 << 16), bigT.subarray(0, 1 << 16));
      near(K.sumSquares(big), T.sumSquares(bigT));
      // A view into a larger buffer: only its own elements are read and written.
      const buf = rng.f32(100), view = buf.subarray(10, 30), before = buf.slice();
      K.unary('relu', view, view, 0);
      for (let i = 0; i < 100; i++) assert.equal(buf[i], i >= 10 && i < 30 ? Math.max(before[i], 0) : before[i], `element ${i}`);
    });
    it('an array a kernel may leave alone keeps its values (segmentReduce sum/mean ignore argmax)', () => {
      K.segmentReduce('max', Float32Array.of(5, 6, 7, 8), Int32Array.of(0, 2), new Float32Array(2), 2, new Int32Array(2)); // leaves 1s in the heap
      for (const op of ['sum', 'mean'] as const) {
        const argmax = Int32Array.of(-7, -7), out = new Float32Array(2);
        K.segmentReduce(op, Float32Array.of(1, 2, 3, 4), Int32Array.of(0, 2), out, 2, argmax);
        assert.deepEqual(argmax, Int32Array.of(-7, -7), op);
        assert.deepEqual(out, op === 'sum' ? Float32Array.of(4, 6) : Float32Array.of(2, 3));
      }
    });
    it('bad input: the table messages, before anything reaches the heap', () => {
      const f = (n: number) => new Float32Array(n);
      assert.throws(() => K.matmul(f(12), f(20), f(15), 3, 4, 6, false, false, false), /matmul: b has 20 elements, expected k\*n = 24 \(m=3, k=4, n=6\)/);
      assert.throws(() => K.gatherRows(f(6), Int32Array.of(0, 3), f(4), 3, 2), /gatherRows: idx\[1\] = 3 is out of range \[0, xRows\)/);
      assert.throws(() => K.segmentReduce('sum', f(4), Int32Array.of(1, 2), f(2), 2, null), /segmentReduce: ptr\[0\] = 1, expected 0/);
      assert.throws(() => K.setThreads(0), /setThreads: n must be an integer >= 1, got 0/);
    });
    it('GRADFORMER_BACKEND=wasm selects it; a missing module is an error naming the build command', () => {
      const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--import', 'tsx', '-e',
        "import('./src/tensor/backend.ts').then((b) => { process.stdout.write(b.kernels().name); })"],
      { env: { ...process.env, ...env }, encoding: 'utf8' });
      const ok = run({ GRADFORMER_BACKEND: 'wasm' });
      assert.equal(ok.stdout, 'wasm', ok.stderr);
      const missing = run({ GRADFORMER_BACKEND: 'wasm', GRADFORMER_WASM_PATH: '/nonexistent/gradformer.wasm' });
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr, /\/nonexistent\/gradformer\.wasm does not exist; build it with `npm run build:wasm`/);
    });
  });
}
