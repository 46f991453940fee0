// Native kernels (native/*.c) against the TypeScript reference (kernels_ts.ts):
// agreement on random inputs and edge cases, thread-count independence (the suite
// of test/helpers/kernel_agreement.ts, shared with the wasm backend), and bad
// input rejected both by the TS wrapper and by the C side on its own.
//
// The addon must be built (CI builds it on `npm ci`): a missing addon FAILS this
// file, except with GRADFORMER_BACKEND=ts, where native is not wanted at all.
//
// Tolerances. Both sides round to float32 only when storing, but C sums in
// float32 where the TS twin sums in double (matmul, attention dots) and uses a
// polynomial expf in attention. For a float32 sum of k products the classic bound
// is |err| <= gamma_k * sum|a_i b_i| with gamma_k ~ k*2^-24; matmul is checked
// against exactly that per element. Kernels that run in double on both sides
// differ by the final rounding only (1 ulp: REL_EXACT). Attention (dk <= 32,
// n <= 500, O(1) inputs) is held to 1e-5 relative to the largest magnitude of
// the output array, which float32 accumulation stays well inside.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Kernels } from '../src/tensor/kernels.js';
import { loadNativeAddon, loadNativeKernels, type NativeAddon } from '../src/tensor/kernels_native.js';
import { registerAgreementTests } from './helpers/kernel_agreement.js';

const tsOnly = process.env.GRADFORMER_BACKEND === 'ts';
let N: Kernels | null = null;
let RAW: NativeAddon | null = null;
let loadError = '';
try {
  N = loadNativeKernels();
  RAW = loadNativeAddon();
} catch (e) {
  loadError = (e as Error).message;
}

if (!N || !RAW) {
  test('native addon is built', (t) => {
    if (tsOnly) { t.skip('GRADFORMER_BACKEND=ts: native kernels not wanted'); return; }
    assert.fail(`native addon not loadable: ${loadError || 'build/Release/gradformer.node missing'}. ` +
      'Build it with `npx node-gyp rebuild` (needs python3, make, a C compiler).');
  });
} else {
  const nk: Kernels = N;
  const raw: NativeAddon = RAW;
  registerTests(nk, raw);
}

// ---------------------------------------------------------------- tests
function registerTests(K: Kernels, raw: NativeAddon): void {
  registerAgreementTests(K, [K, raw]);

  test('zeroFill zeroes exactly its view, at any thread count, and rejects what is not a Float32Array', () => {
    const before = K.getThreads();
    try {
      for (const T of [1, 2, 3, 7]) {
        K.setThreads(T);
        for (const n of [0, 1, 17, 65536 + 5, 1_000_003]) {
          // A view in the middle of a larger buffer: the floats around it must keep their values.
          const buf = new Float32Array(n + 40).fill(NaN);
          const view = buf.subarray(13, 13 + n);
          K.zeroFill!(view);
          for (let i = 0; i < buf.length; i++) {
            const inside = i >= 13 && i < 13 + n;
            if (inside ? !Object.is(buf[i], 0) : !Number.isNaN(buf[i])) assert.fail(`threads ${T}, n ${n}: element ${i} is ${buf[i]}`);
          }
        }
      }
    } finally {
      K.setThreads(before);
    }
    assert.throws(() => raw.zeroFill!(new Float64Array(4) as unknown as Float32Array), /zeroFill: x/);
    assert.throws(() => (raw.zeroFill as unknown as () => void)(), /zeroFill/);
  });

  describe('bad input is rejected, naming the kernel and the shapes', () => {
    // Each call is made through the wrapper (TS validation) and directly on the raw
    // addon (C validation only): both must throw before touching memory.
    type Call = (k: Pick<Kernels, Exclude<keyof Kernels, 'name'>>) => unknown;
    function rejects(what: string, call: Call, re: RegExp) {
      assert.throws(() => call(K), re, `${what} (TS wrapper)`);
      assert.throws(() => call(raw), re, `${what} (C side)`);
    }
    const f = (n: number) => new Float32Array(n);
    const i32 = (...v: number[]) => Int32Array.from(v);
    it('wrong lengths', () => {
      rejects('matmul a', (k) => k.matmul(f(10), f(20), f(15), 3, 4, 5, false, false, false),
        /^Error: matmul: a has 10 elements, expected m\*k = 12 \(m=3, k=4, n=5\)/);
      rejects('matmul b^T', (k) => k.matmul(f(12), f(19), f(15), 3, 4, 5, false, true, false), /matmul: b \(transposed\) has 19 elements, expected n\*k = 20/);
      rejects('matmul c', (k) => k.matmul(f(12), f(20), f(16), 3, 4, 5, false, false, false), /matmul: c has 16 elements, expected m\*n = 15/);
      rejects('matmul bias', (k) => k.matmul(f(12), f(20), f(15), 3, 4, 5, false, false, false, f(4)), /matmul: bias has 4 elements, expected n = 5 \(m=3, k=4, n=5\)/);
      // relu is an optional trailing boolean: left out (undefined) is false, anything but a boolean is an error.
      rejects('matmul relu', (k) => k.matmul(f(12), f(20), f(15), 3, 4, 5, false, false, false, null, 1 as unknown as boolean),
        /^Error: matmul: relu must be a boolean, got number/);
      rejects('matmul residual', (k) => k.matmul(f(12), f(20), f(15), 3, 4, 5, false, false, false, null, false, f(14)),
        /^Error: matmul: residual has 14 elements, expected m\*n = 15 \(m=3, k=4, n=5\)/);
      rejects('matmul relu null', (k) => k.matmul(f(12), f(20), f(15), 3, 4, 5, false, false, false, null, null as unknown as boolean),
        /^Error: matmul: relu must be a boolean, got null/);
      rejects('binary b', (k) => k.binary('add', f(6), f(2), f(6), 2, 3, 'row'), /binary: b \(broadcast 'row'\) has 2 elements, expected cols = 3 \(rows=2, cols=3\)/);
      rejects('binaryBackward gb', (k) => k.binaryBackward('mul', f(6), f(2), f(6), null, f(3), 2, 3, 'col'), /binaryBackward: gb \(broadcast 'col'\) has 3 elements, expected rows = 2/);
      rejects('unary out', (k) => k.unary('relu', f(4), f(3), 0), /unary: out has 3 elements, expected x.length = 4/);
      rejects('sumAxis', (k) => k.sumAxis(f(6), f(2), 2, 3, 0), /sumAxis: out has 2 elements, expected cols = 3/);
      rejects('softmax', (k) => k.softmax(f(6), f(5), 2, 3, false), /softmax: out has 5 elements, expected rows\*cols = 6 \(rows=2, cols=3\)/);
      rejects('crossEntropy target', (k) => k.crossEntropy(f(6), i32(0), null, f(6), 2, 3), /crossEntropy: target has 1 elements, expected rows = 2/);
      rejects('bce mask', (k) => k.bceWithLogits(f(4), f(4), new Uint8Array(3), f(4)), /bceWithLogits: mask has 3 elements, expected n = 4/);
      rejects('gatherRows out', (k) => k.gatherRows(f(6), i32(0, 1), f(5), 2, 3), /gatherRows: out has 5 elements, expected idx.length\*cols = 6/);
      rejects('copyCols slice', (k) => k.copyCols(f(6), f(8), 2, 3, 4, 2), /copyCols: slice off\+srcCols = 5 exceeds outCols \(rows=2, srcCols=3, outCols=4, off=2\)/);
      rejects('segmentReduce x', (k) => k.segmentReduce('sum', f(5), i32(0, 2, 3), f(6), 2, null), /segmentReduce: x has 5 elements, expected ptr\[S\]\*cols = 6/);
      rejects('batchNorm weight', (k) => k.batchNorm(f(6), f(6), 2, 3, f(2), null, null, null, true, 0.1, 1e-5, f(3), f(3)), /batchNorm: weight has 2 elements, expected cols = 3/);
      rejects('attention mask', (k) => k.attentionForward(f(20), f(20), f(20), f(25), i32(0, 2, 5), 2, 2, 1, null, f(20), f(26)),
        /attentionForward: mask has 25 elements, expected H\*sum\(n_b\^2\) = 26 \(H=2, sumNb2=13, B=2\)/);
      rejects('attentionBackward gk', (k) => k.attentionBackward(f(20), f(20), f(20), f(26), i32(0, 2, 5), 2, 2, 1, null, f(26), f(20), null, f(19), null, null),
        /attentionBackward: gk has 19 elements, expected N\*H\*dk = 20 \(N=5, H=2, dk=2\)/);
      rejects('adam v', (k) => k.adamStep(f(3), f(3), f(3), f(2), 1e-3, 0.9, 0.999, 1e-8, 0, 1, false), /adamStep: v has 2 elements, expected n = 3/);
      rejects('sgd buf', (k) => k.sgdStep(f(3), f(3), null, 0.1, 0.9, 0, 0, false, true), /sgdStep: momentum 0.9 needs a momentum buffer/);
    });
    it('out-of-range indices and malformed ptr arrays', () => {
      rejects('gather idx', (k) => k.gatherRows(f(6), i32(0, 2), f(6), 2, 3), /gatherRows: idx\[1\] = 2 is out of range \[0, xRows\) \(xRows=2, idx has 2 elements\)/);
      rejects('gather negative', (k) => k.gatherRows(f(6), i32(-1), f(3), 2, 3), /gatherRows: idx\[0\] = -1 is out of range/);
      rejects('scatter idx', (k) => k.scatterAddRows(f(3), i32(7), f(6), 2, 3), /scatterAddRows: idx\[0\] = 7 is out of range \[0, outRows\)/);
      rejects('crossEntropy target', (k) => k.crossEntropy(f(6), i32(0, 3), null, f(6), 2, 3), /crossEntropy: target\[1\] = 3 is out of range \[0, cols\)/);
      rejects('ptr not monotone', (k) => k.segmentReduce('sum', f(6), i32(0, 3, 2), f(4), 2, null), /segmentReduce: ptr is not non-decreasing: ptr\[1\] = 3 > ptr\[2\] = 2/);
      rejects('ptr[0] != 0', (k) => k.segmentReduce('sum', f(6), i32(1, 3), f(2), 2, null), /segmentReduce: ptr\[0\] = 1, expected 0/);
      rejects('ptr empty', (k) => k.segmentReduce('sum', f(0), i32(), f(0), 2, null), /segmentReduce: ptr has 0 elements/);
      rejects('graphPtr not monotone', (k) => k.attentionForward(f(0), f(0), f(0), f(0), i32(0, 2, 1), 1, 1, 1, null, f(0), f(0)),
        /attentionForward: graphPtr is not non-decreasing/);
      rejects('argmax outside segment', (k) => k.segmentReduceBackward('max', f(2), i32(0, 1, 2), f(2), 1, i32(1, 1)),
        /segmentReduceBackward: argmax\[0\] = 1 is outside segment 0 rows \[0, 1\)/);
      rejects('argmax missing', (k) => k.segmentReduceBackward('max', f(2), i32(0, 1, 2), f(2), 1, null), /segmentReduceBackward: op 'max' needs the argmax/);
    });
    it('wrong types: Float64Array, plain arrays, bad sizes and names', () => {
      const bad = (v: unknown) => v as Float32Array;
      rejects('Float64Array', (k) => k.matmul(bad(new Float64Array(12)), f(20), f(15), 3, 4, 5, false, false, false), /matmul: a must be a Float32Array, got Float64Array/);
      rejects('plain array', (k) => k.unary('relu', bad([1, 2]), f(2), 0), /unary: x must be a Float32Array, got Array/);
      rejects('Int32 where Float32', (k) => k.l1(f(2), bad(new Int32Array(2)), f(2)), /l1: y must be a Float32Array, got Int32Array/);
      rejects('Float32 index', (k) => k.gatherRows(f(6), bad(f(2)) as unknown as Int32Array, f(6), 2, 3), /gatherRows: idx must be a Int32Array, got Float32Array/);
      rejects('u8 mask type', (k) => k.bceWithLogits(f(2), f(2), bad(new Int8Array(2)) as unknown as Uint8Array, f(2)), /bceWithLogits: mask must be a Uint8Array, got Int8Array/);
      rejects('null where required', (k) => k.softmax(bad(null), f(2), 1, 2, false), /softmax: x must be a Float32Array, got null/);
      rejects('negative size', (k) => k.matmul(f(0), f(0), f(0), -1, 0, 0, false, false, false), /matmul: m must be a non-negative integer, got -1/);
      rejects('fractional size', (k) => k.sumAxis(f(6), f(3), 2.5, 3, 0), /sumAxis: rows must be a non-negative integer, got 2.5/);
      rejects('unknown op', (k) => k.binary('pow' as 'add', f(1), f(1), f(1), 1, 1, 'full'), /binary: unknown op 'pow', expected one of add, sub, mul, div/);
      rejects('pow_base p <= 0', (k) => k.unary('pow_base', f(1), f(1), 0), /unary: pow_base needs a base p > 0, got 0/);
      rejects('adam step 0', (k) => k.adamStep(f(1), f(1), f(1), f(1), 1e-3, 0.9, 0.999, 1e-8, 0, 0, false), /adamStep: step must be an integer >= 1/);
      rejects('setThreads 0', (k) => k.setThreads(0), /setThreads: n must be an integer >= 1, got 0/);
      rejects('huge sizes overflow', (k) => k.matmul(f(4), f(4), f(4), 2 ** 40, 2 ** 40, 2, false, false, false), /matmul: a has 4 elements, expected m\*k/);
    });
  });

  describe('backend selection', () => {
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', '-e',
      "import('./src/tensor/backend.ts').then((b) => { process.stdout.write(b.kernels().name + ' ' + b.kernels().name); })"],
    { env: { ...process.env, ...env }, encoding: 'utf8' });
    it('GRADFORMER_BACKEND=ts and default native', () => {
      assert.equal(run({ GRADFORMER_BACKEND: 'ts' }).stdout, 'ts ts');
      const r = run({ GRADFORMER_BACKEND: 'native' });
      assert.equal(r.stdout, 'native native', r.stderr);
    });
    it('a missing addon falls back to ts with exactly one warning line', () => {
      const r = run({ GRADFORMER_BACKEND: 'native', GRADFORMER_NATIVE_PATH: '/nonexistent/gradformer.node' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'ts ts');
      const lines = r.stderr.split('\n').filter((l) => l.includes('gradformer:'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /native kernels unavailable.*TypeScript backend/);
    });
    it('GRADFORMER_THREADS sets the initial thread count', () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e',
        "import('./src/tensor/backend.ts').then((b) => { process.stdout.write(String(b.getThreads())); })"],
      { env: { ...process.env, GRADFORMER_BACKEND: 'native', GRADFORMER_THREADS: '3' }, encoding: 'utf8' });
      assert.equal(r.stdout, '3', r.stderr);
    });
    it('without GRADFORMER_THREADS the native backend runs one thread (more were slower: docs/PERFORMANCE.md round 7)', () => {
      const env: NodeJS.ProcessEnv = { ...process.env, GRADFORMER_BACKEND: 'native' };
      delete env.GRADFORMER_THREADS;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e',
        "import('./src/tensor/backend.ts').then((b) => { process.stdout.write(String(b.getThreads())); })"], { env, encoding: 'utf8' });
      assert.equal(r.stdout, '1', r.stderr);
    });
  });
}
