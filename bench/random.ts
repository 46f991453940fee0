/**
 * Dropout-mask benchmark of the native uniformMask kernel (prints figures, never passes/fails).
 *
 *   npm run bench:random [-- --against <other gradformer.node>] [-- --rounds N] [-- --cold] [-- --lanes 16|8|0] [-- --json]
 *
 * us per call at mask sizes from 256 elements to ZINC's (its training draws 39k-89k elements a call,
 * 71k on average), 1 thread. With --against (e.g. main's build/Release/gradformer.node), that addon
 * is timed in the same process, in alternating rounds with this one on the same sizes, and each line
 * gives both medians and their ratio: on a shared, loaded machine only figures measured side by side
 * compare. Every round also checks that both addons give the same mask bits and final state.
 * --cold: each call writes the next of 64 buffers, and 8 MB are rewritten (untimed) between calls,
 * so the mask goes to memory out of cache, as in training (where the pool's buffers are cold).
 * --lanes 8 (or 0): this addon's widest lanes (native/random_lanes.c), e.g. the AVX2 path on an
 * AVX-512 CPU; the width in use is printed.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { loadNativeAddon, nativeAddonPath, type NativeAddon } from '../src/tensor/kernels_native.js';
import { benchArgs } from './args.js';

const A = benchArgs('bench/random', { strings: ['against', 'rounds', 'lanes'], flags: ['json', 'cold'] });
const cold = A.flag('cold');
const json = A.flag('json');
const rounds = A.num('rounds', 15, true)!;
const mine = loadNativeAddon();
if (!mine) {
  console.error('bench/random: native addon not built (build/Release/gradformer.node). Run `npm run install`.');
  process.exit(1);
}
mine.setThreads(1);
const laneCap = A.str('lanes', '16')!;
if (!['16', '8', '0'].includes(laneCap)) {
  console.error(`bench/random: --lanes must be 16, 8 or 0, got '${laneCap}'`);
  process.exit(1);
}
const lanes = (mine as unknown as { setRngLanes(cap: number): number }).setRngLanes(Number(laneCap));
const againstPath = A.str('against');
let other: NativeAddon | null = null;
if (againstPath) {
  try {
    other = createRequire(import.meta.url)(resolve(againstPath)) as NativeAddon;
  } catch (e) {
    console.error(`bench/random: --against ${againstPath}: cannot load it as an addon (${(e as Error).message.split('\n')[0]}); give the path of a built gradformer.node`);
    process.exit(1);
  }
  other.setThreads(1);
}

const SIZES = [64, 128, 256, 512, 1024, 2048, 4096, 16384, 38784, 71161, 88672];
const THRESHOLD = 0.2, KEEP = 1.25; // ZINC's dropout: u >= 0.2 kept, scaled by 1 / 0.8

const flush = cold ? new Float32Array(2 << 20) : null;

/** us per call of `calls` masks of n elements drawn one after another from one state, into outs[0]
    (warm) or each into the next of outs after a cache flush (--cold). */
function timeUs(K: NativeAddon, state: Uint32Array, outs: Float32Array[], calls: number): number {
  if (!flush) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) K.uniformMask(state, outs[0], THRESHOLD, KEEP, false);
    return ((performance.now() - t0) * 1000) / calls;
  }
  let ms = 0;
  for (let i = 0; i < calls; i++) {
    flush.fill(i);
    const t0 = performance.now();
    K.uniformMask(state, outs[i % outs.length], THRESHOLD, KEEP, false);
    ms += performance.now() - t0;
  }
  return (ms * 1000) / calls;
}
const buffers = (n: number): Float32Array[] => Array.from({ length: cold ? 64 : 1 }, () => new Float32Array(n));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

if (!json) console.log(`bench/random: uniformMask, 1 thread, ${rounds} alternating rounds, ${cold ? 'cold' : 'warm'} output buffers; this addon ${nativeAddonPath()} (${lanes ? `${lanes} lanes` : 'serial'})${other ? `, against ${resolve(againstPath!)}` : ''}`);
// Warm-up of every size first: the first sizes timed were slower for both addons (JIT, clocks).
for (const n of SIZES) for (const K of other ? [mine, other] : [mine]) timeUs(K, new Uint32Array([1, 2, 3, 4]), [new Float32Array(n)], Math.round(1e6 / n));
for (const n of SIZES) {
  const calls = Math.max(4, Math.round((cold ? 2e5 : 2e6) / n)); // ~2M elements a round (0.2M with --cold: the flushes take longer)
  const outs = buffers(n), outsB = buffers(n);
  const sa = Uint32Array.from([0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35]), sb = Uint32Array.from(sa);
  const usA: number[] = [], usB: number[] = [];
  timeUs(mine, sa, outs, calls); // warm-up
  if (other) timeUs(other, sb, outsB, calls);
  for (let r = 0; r < rounds; r++) {
    usA.push(timeUs(mine, sa, outs, calls));
    if (!other) continue;
    usB.push(timeUs(other, sb, outsB, calls));
    const [a, b] = [outs[(calls - 1) % outs.length], outsB[(calls - 1) % outsB.length]]; // the last masks drawn
    if (Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) !== 0 || sa.some((w, i) => w !== sb[i])) {
      console.error(`bench/random: at n=${n} the two addons drew different masks or states`);
      process.exit(1);
    }
  }
  const a = median(usA), b = other ? median(usB) : null;
  if (json) console.log(JSON.stringify({ n, cold, lanes, us: a, ns_per_element: (a * 1000) / n, ...(b !== null ? { against_us: b, ratio: a / b } : {}) }));
  else console.log(`  n ${String(n).padStart(6)}: ${a.toFixed(2).padStart(8)} us (${((a * 1000) / n).toFixed(2)} ns/element)` +
    (b !== null ? `   against ${b.toFixed(2).padStart(8)} us   ratio ${(a / b).toFixed(3)}` : ''));
}
