/**
 * Kernel benchmark of the native backend (prints figures, never passes/fails).
 *
 *   npm run bench:kernels [-- --json] [-- --threads N]
 *
 * matmul: GFLOP/s (2*m*k*n / time) for the model's tall-and-thin products and the
 *   two transposed products their backward needs, on the same problem:
 *   none = X[m,k] W[k,n];  AtB = X^T G -> [k,n] (weight grad);  ABt = G W^T -> [m,k] (input grad).
 * attention: ms for forward + backward on 128 NCI1-like graphs (mean ~30, max 111
 *   nodes, 4 heads, dk 16, seeded), ragged (sum n^2) next to the same graphs padded
 *   to 111 nodes with mask 0 on the padding (B * Nmax^2, what padded attention costs).
 * scatter/element-wise: microseconds per call of the step's memory-bound kernels on
 *   NCI1's shapes (3201 nodes x 64, 6900 edges) and ZINC's GINE message (740 nodes,
 *   1600 edges, 64 channels) and 8x that, and ogbg-molhiv's GatedGCN message, with the ratio of the threaded time to one
 *   thread's (below 1: the threads help; the kernels that once split columns between
 *   threads were 3-10x slower on 2 threads than on one).
 * Each figure is the median of several timed repetitions after a warm-up, at 1
 * thread and at all threads (or --threads N).
 */
import { availableParallelism } from 'node:os';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { benchArgs } from './args.js';

const A = benchArgs('bench/kernels', { strings: ['threads'], flags: ['json'] });
const json = A.flag('json');
const K: Kernels | null = loadNativeKernels();
if (!K) {
  console.error('bench/kernels: native addon not built (build/Release/gradformer.node). Run `npx node-gyp rebuild`.');
  process.exit(1);
}
const allThreads = A.num('threads', availableParallelism(), true)!; // the native default is 1

/** Deterministic uniforms in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randF32(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * r() - 1;
  return a;
}

/**
 * Median wall ms of `reps` runs of f after `warm` untimed runs (f repeated inside a
 * run until >= minMs), and the median process CPU ms per call: on a shared machine
 * the CPU figure shows what the kernel costs when it actually runs (for 1 thread),
 * and the best run what it costs when no other process got in the way.
 */
function timeMs(f: () => void, warm = 3, reps = 9, minMs = 20): { ms: number; cpuMs: number; bestMs: number } {
  for (let i = 0; i < warm; i++) f();
  let inner = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) f();
    if (performance.now() - t0 >= minMs || inner >= 1 << 16) break;
    inner *= 2;
  }
  const ts: number[] = [], cs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) f();
    ts.push((performance.now() - t0) / inner);
    const c = process.cpuUsage(c0);
    cs.push((c.user + c.system) / 1000 / inner);
  }
  ts.sort((a, b) => a - b);
  cs.sort((a, b) => a - b);
  return { ms: ts[reps >> 1], cpuMs: cs[reps >> 1], bestMs: ts[0] };
}

function emit(obj: Record<string, unknown>, text: string): void {
  console.log(json ? JSON.stringify(obj) : text);
}

const SHAPES: [number, number, number][] = [[3840, 64, 64], [3840, 64, 128], [3840, 128, 64], [32768, 64, 64]];
type Variant = 'none' | 'AtB' | 'ABt';

function benchMatmul(m: number, k: number, n: number, v: Variant, threads: number): void {
  const r = rng(m * 31 + k * 7 + n);
  const X = randF32(m * k, r), W = randF32(k * n, r), G = randF32(m * n, r);
  let f: () => void;
  if (v === 'none') { const C = new Float32Array(m * n); f = () => K!.matmul(X, W, C, m, k, n, false, false, false); }
  else if (v === 'AtB') { const C = new Float32Array(k * n); f = () => K!.matmul(X, G, C, k, m, n, true, false, false); }
  else { const C = new Float32Array(m * k); f = () => K!.matmul(G, W, C, m, n, k, false, true, false); }
  K!.setThreads(threads);
  const { ms, cpuMs, bestMs } = timeMs(f);
  const gflops = (2 * m * k * n) / (ms * 1e6), bestGflops = (2 * m * k * n) / (bestMs * 1e6);
  const cpuGflops = (2 * m * k * n) / (cpuMs * 1e6); // per CPU-second: compare with gflops for contention
  emit({ bench: 'matmul', m, k, n, transpose: v, threads, gflops: +gflops.toFixed(1), ms: +ms.toFixed(4),
    cpu_ms: +cpuMs.toFixed(4), gflops_per_cpu: +cpuGflops.toFixed(1), gflops_best: +bestGflops.toFixed(1) },
    `matmul [${m},${k}]x[${k},${n}] ${v.padEnd(4)} threads=${threads}  ${gflops.toFixed(1).padStart(6)} GFLOP/s  ` +
    `(${ms.toFixed(3)} ms; best ${bestGflops.toFixed(1)}; ${cpuGflops.toFixed(1)} per CPU-second)`);
}

/** A linear layer x W^T + b: bias in the GEMM's store vs a second pass (binary add 'row'), side by side. */
function benchLinearBias(m: number, k: number, n: number, threads: number): void {
  const r = rng(m * 13 + k * 5 + n);
  const X = randF32(m * k, r), W = randF32(n * k, r), b = randF32(n, r), C = new Float32Array(m * n);
  K!.setThreads(threads);
  const fused = timeMs(() => K!.matmul(X, W, C, m, k, n, false, true, false, b));
  const twoPass = timeMs(() => { K!.matmul(X, W, C, m, k, n, false, true, false); K!.binary('add', C, b, C, m, n, 'row'); });
  emit({ bench: 'linear_bias', m, k, n, threads, fused_ms: +fused.ms.toFixed(4), two_pass_ms: +twoPass.ms.toFixed(4), speedup: +(twoPass.ms / fused.ms).toFixed(3) },
    `linear [${m},${k}]x[${n},${k}]^T + bias threads=${threads}  fused ${fused.ms.toFixed(3)} ms vs matmul + row add ${twoPass.ms.toFixed(3)} ms (${(twoPass.ms / fused.ms).toFixed(2)}x)`);
}

/** 128 NCI1-like graph sizes: log-normal around 27, clamped to [4, 111], one graph of 111. */
function nci1Sizes(seed: number): number[] {
  const r = rng(seed);
  const sizes: number[] = [];
  for (let i = 0; i < 128; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    sizes.push(Math.max(4, Math.min(111, Math.round(Math.exp(3.3 + 0.45 * z)))));
  }
  sizes[0] = 111;
  return sizes;
}

function benchAttention(sizes: number[], layout: 'ragged' | 'padded', threads: number): void {
  const H = 4, dk = 16, nmax = Math.max(...sizes);
  const real = layout === 'ragged' ? sizes : sizes.map(() => nmax);
  const ptr = new Int32Array(real.length + 1);
  for (let b = 0; b < real.length; b++) ptr[b + 1] = ptr[b] + real[b];
  const N = ptr[real.length], nd = N * H * dk;
  const sq = real.reduce((s, n) => s + n * n, 0), nm = H * sq;
  const r = rng(42);
  const q = randF32(nd, r), k = randF32(nd, r), v = randF32(nd, r), gOut = randF32(nd, r);
  // Decay-like mask in (0, 1]; in the padded layout 0 wherever the query or key is padding.
  const mask = new Float32Array(nm);
  let off = 0;
  for (let b = 0; b < real.length; b++) {
    const n = real[b], live = sizes[b];
    for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      mask[off++] = i < live && j < live ? 0.05 + 0.95 * r() : 0;
    }
  }
  const out = new Float32Array(nd), probs = new Float32Array(nm);
  const gq = new Float32Array(nd), gk = new Float32Array(nd), gv = new Float32Array(nd), gm = new Float32Array(nm);
  const scale = 1 / Math.sqrt(dk);
  K!.setThreads(threads);
  const { ms, cpuMs, bestMs } = timeMs(() => {
    K!.attentionForward(q, k, v, mask, ptr, H, dk, scale, null, out, probs);
    K!.attentionBackward(q, k, v, mask, ptr, H, dk, scale, null, probs, gOut, gq, gk, gv, gm);
  }, 2, 7, 50);
  emit({ bench: 'attention', layout, graphs: real.length, heads: H, dk, nodes: N, sumN2: sq, threads, ms: +ms.toFixed(3),
    cpu_ms: +cpuMs.toFixed(3), best_ms: +bestMs.toFixed(3) },
    `attention fwd+bwd ${layout.padEnd(6)} ${real.length} graphs, ${N} nodes, sum n^2 = ${sq}, threads=${threads}  ` +
    `${ms.toFixed(2)} ms (best ${bestMs.toFixed(2)}, CPU ${cpuMs.toFixed(2)} ms)`);
}

/** The step's memory-bound kernels, each at 1 thread and at `threads`, with the ratio. */
function benchMemoryBound(threads: number): void {
  const r = rng(99);
  const N = 3201, E = 6900, C = 64;
  const x = randF32(N * C, r), g = randF32(N * C, r), out = new Float32Array(N * C), b = randF32(C, r);
  const idx = Int32Array.from({ length: E }, () => Math.floor(r() * N)), msg = randF32(E * C, r), rows = new Float32Array(E * C);
  const sm = new Float32Array(C), si = new Float32Array(C), gw = new Float32Array(C), gb = new Float32Array(C), gx = new Float32Array(N * C);
  const gine = (scale: number) => {
    const n = 740 * scale, e = 1600 * scale;
    const xs = randF32(n * C, r), es = randF32(e * C, r), o = new Float32Array(n * C), gxs = new Float32Array(n * C), ges = new Float32Array(e * C);
    const src = Int32Array.from({ length: e }, () => Math.floor(r() * n)), dst = Int32Array.from({ length: e }, () => Math.floor(r() * n));
    return {
      fwd: () => K!.gineMessage(xs, es, src, dst, o, n, n, C),
      bwd: () => K!.gineMessageBackward(xs, es, src, dst, o, gxs, ges, n, n, C),
    };
  };
  const zinc = gine(1), zinc8 = gine(8);
  // GatedGCN (ogbg-molhiv's message): a 32-molecule batch, ~900 atoms, ~1900 bonds each way.
  const gn = 900, ge = 3800, gc = 64;
  const Dx = randF32(gn * gc, r), Ex = randF32(gn * gc, r), Bx = randF32(gn * gc, r), Ce = randF32(ge * gc, r), gate = randF32(ge, r);
  const gsrc = Int32Array.from({ length: ge }, () => Math.floor(r() * gn)), gdst = Int32Array.from({ length: ge }, () => Math.floor(r() * gn));
  const gg = new Float32Array(ge * gc), s0 = new Float32Array(ge * gc), num = new Float32Array(gn * gc), dp = new Float32Array(gn * gc), q = new Float32Array(gn * gc);
  const gq = randF32(gn * gc, r), work = new Float32Array(2 * gn * gc), ggate = new Float32Array(ge);
  const gD = new Float32Array(gn * gc), gE = new Float32Array(gn * gc), gC = new Float32Array(ge * gc), gB = new Float32Array(gn * gc);
  const cases: [string, () => void][] = [
    ['reluBackwardBias [3201,64]', () => K!.reluBackwardBias(x, g, out, N, C, gb)],
    ['scatterAddRows 6900 -> [3201,64]', () => K!.scatterAddRows(msg, idx, out, N, C)],
    ['gatherRows [3201,64] -> 6900', () => K!.gatherRows(x, idx, rows, N, C)],
    ['binary add row [3201,64]', () => K!.binary('add', x, b, out, N, C, 'row')],
    ['batchNorm [3201,64]', () => K!.batchNorm(x, out, N, C, b, b, null, null, true, 0.1, 1e-5, sm, si)],
    ['batchNormBackward [3201,64]', () => K!.batchNormBackward(x, g, N, C, b, sm, si, true, gx, gw, gb)],
    ['gineMessage 1600 edges', zinc.fwd],
    ['gineMessageBackward 1600 edges', zinc.bwd],
    ['gineMessage 12800 edges', zinc8.fwd],
    ['gineMessageBackward 12800 edges', zinc8.bwd],
    ['gatedGcnMessage 3800 edges', () => K!.gatedGcnMessage(Dx, Ex, Ce, Bx, gate, gsrc, gdst, gg, s0, num, dp, q, gn, gn, gc, 1e-5)],
    ['gatedGcnMessageBackward 3800 edges', () => K!.gatedGcnMessageBackward(Bx, gate, s0, num, dp, gsrc, gdst, gq, work, gD, gE, gC, gB, ggate, gn, gn, gc)],
  ];
  for (const [name, f] of cases) {
    K!.setThreads(1);
    const one = timeMs(f).ms;
    K!.setThreads(threads);
    const many = timeMs(f).ms;
    emit({ bench: 'memory_bound', kernel: name, threads, us_1: +(one * 1000).toFixed(2), us_n: +(many * 1000).toFixed(2), ratio: +(many / one).toFixed(3) },
      `${name.padEnd(34)} 1 thread ${(one * 1000).toFixed(1).padStart(7)} us, ${threads} threads ${(many * 1000).toFixed(1).padStart(7)} us (${(many / one).toFixed(2)}x)`);
  }
}

const threadList = allThreads === 1 ? [1] : [1, allThreads];
for (const [m, k, n] of SHAPES) {
  for (const v of ['none', 'AtB', 'ABt'] as Variant[]) for (const t of threadList) benchMatmul(m, k, n, v, t);
}
for (const [m, k, n] of SHAPES) for (const t of threadList) benchLinearBias(m, k, n, t);
const sizes = nci1Sizes(2024);
if (!json) {
  const mean = sizes.reduce((s, n) => s + n, 0) / sizes.length;
  console.log(`attention sizes: 128 graphs, mean ${mean.toFixed(1)}, max ${Math.max(...sizes)} nodes`);
}
for (const t of threadList) {
  benchAttention(sizes, 'ragged', t);
  benchAttention(sizes, 'padded', t);
}
if (allThreads > 1) benchMemoryBound(allThreads);
