/**
 * The attention kernels on one ZINC-sized batch, forward and backward timed apart
 * (prints figures, never passes/fails), optionally for several builds of the
 * native addon side by side:
 *
 *   npm run bench:attention [-- --addon before.node,after.node] [-- --rounds 9] [-- --json]
 *
 * The batch is what a ZINC training step hands the kernel: 32 graphs of 9-38 nodes
 * (mean ~23, seeded), 4 heads of dk 16, a decay-like mask (some zeros: unreachable
 * pairs underflow), attention dropout 0.5 (keep scale 2) and every gradient wanted.
 * Each round times every addon once, in turn (interleaved, so load changes hit all
 * alike); a figure is the median over rounds of the CPU microseconds per call
 * (process CPU time: one thread, so what the kernel costs when it runs). With two
 * or more addons the outputs of each are also compared bit for bit with the first's.
 */
import { createRequire } from 'node:module';
import { nativeAddonPath } from '../src/tensor/kernels_native.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { Rng } from '../test/helpers/rng.js';
import { benchArgs } from './args.js';
import { forwardBackwardPairs } from './interleave.js';

const A = benchArgs('bench/attention', { strings: ['addon', 'rounds'], flags: ['json'] });
const json = A.flag('json');
const rounds = A.num('rounds', 9, true)!;
const paths = (A.str('addon') ?? nativeAddonPath() ?? 'build/Release/gradformer.node').split(',');
const require = createRequire(import.meta.url);
const addons = paths.map((p) => {
  try {
    return require(p) as Kernels;
  } catch (e) {
    console.error(`bench/attention: cannot load the addon ${p} (${(e as Error).message.split('\n')[0]}); build it with npm run install or fix --addon`);
    process.exit(1);
  }
});

const gen = new Rng(14); // mulberry32, the tests' seeded generator
const r = (): number => gen.next();
const H = 4, dk = 16, B = 32;
const sizes: number[] = [];
for (let b = 0; b < B; b++) {
  const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  sizes.push(Math.max(9, Math.min(38, Math.round(23 + 4.5 * z))));
}
const ptr = new Int32Array(B + 1);
for (let b = 0; b < B; b++) ptr[b + 1] = ptr[b] + sizes[b];
const N = ptr[B], nd = N * H * dk, nm = H * sizes.reduce((s, n) => s + n * n, 0);
const f32 = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
const q = f32(nd, () => 4 * r() - 2), k = f32(nd, () => 4 * r() - 2), v = f32(nd, () => 2 * r() - 1);
const gOut = f32(nd, () => 2 * r() - 1);
const mask = f32(nm, () => (r() < 0.1 ? 0 : 0.05 + 0.95 * r()));
const drop = f32(nm, () => (r() < 0.5 ? 0 : 2));
const scale = 1 / Math.sqrt(dk);

interface Outs { out: Float32Array; probs: Float32Array; gq: Float32Array; gk: Float32Array; gv: Float32Array; gm: Float32Array }
const outs: Outs[] = addons.map(() => ({
  out: new Float32Array(nd), probs: new Float32Array(nm), gq: new Float32Array(nd), gk: new Float32Array(nd),
  gv: new Float32Array(nd), gm: new Float32Array(nm),
}));
const fwd = (K: Kernels, o: Outs) => K.attentionForward(q, k, v, mask, ptr, H, dk, scale, drop, o.out, o.probs);
// The gradients accumulate over timed calls (as the kernel does); only the first call's are compared.
const bwd = (K: Kernels, o: Outs) =>
  K.attentionBackward(q, k, v, mask, ptr, H, dk, scale, drop, o.probs, gOut, o.gq, o.gk, o.gv, o.gm);

const { inner, forwardUs, backwardUs } = forwardBackwardPairs('bench/attention', paths, outs, (a) => fwd(addons[a], outs[a]), (a) => bwd(addons[a], outs[a]), rounds);
if (!json) console.log(`attention, ZINC-sized batch: ${B} graphs, ${N} nodes, 4 heads of dk 16, dropout 0.5; ${rounds} interleaved rounds of ${inner} calls`);
for (let a = 0; a < addons.length; a++) {
  const f = forwardUs[a], b = backwardUs[a];
  if (json) console.log(JSON.stringify({ bench: 'attention_zinc', addon: paths[a], graphs: B, nodes: N, rounds, forward_cpu_us: +f.toFixed(1), backward_cpu_us: +b.toFixed(1) }));
  else console.log(`${paths[a]}: forward ${f.toFixed(1)} us, backward ${b.toFixed(1)} us CPU (median)`);
}
