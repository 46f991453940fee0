/**
 * The BatchNorm kernels on ZINC's shape (prints figures, never passes/fails), optionally
 * for several builds of the native addon side by side:
 *
 *   npm run bench:batchnorm [-- --addon before.node,after.node] [-- --rounds 9] [-- --json]
 *
 * One call of each as a ZINC training step makes it: x [742, 64] (32 graphs of ~23 nodes,
 * 64 channels), affine, training mode, running statistics updated; the backward with
 * every gradient wanted. Each round times every addon once, in turn (interleaved, so load
 * changes hit all alike); a figure is the median over rounds of the CPU microseconds per
 * call. With two or more addons the outputs of each are also compared bit for bit with the
 * first's.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { nativeAddonPath } from '../src/tensor/kernels_native.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { Rng } from '../test/helpers/rng.js';
import { benchArgs } from './args.js';
import { forwardBackwardPairs } from './interleave.js';

const A = benchArgs('bench/batchnorm', { strings: ['addon', 'rounds', 'rows', 'cols'], flags: ['json'] });
const json = A.flag('json');
const rounds = A.num('rounds', 9, true)!;
const rows = A.num('rows', 742, true)!, cols = A.num('cols', 64, true)!;
const paths = (A.str('addon') ?? nativeAddonPath() ?? 'build/Release/gradformer.node').split(',');
const require = createRequire(import.meta.url);
const addons = paths.map((p) => {
  try {
    return require(resolve(p)) as Kernels;
  } catch (e) {
    console.error(`bench/batchnorm: cannot load the addon ${p} (${(e as Error).message.split('\n')[0]}); build it with npm run install or fix --addon`);
    process.exit(1);
  }
});

const gen = new Rng(16);
const f32 = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
const x = f32(rows * cols, () => 6 * gen.next() - 2), g = f32(rows * cols, () => 2 * gen.next() - 1);
const weight = f32(cols, () => 0.5 + gen.next()), bias = f32(cols, () => gen.next() - 0.5);

interface Outs { out: Float32Array; rm: Float32Array; rv: Float32Array; mean: Float32Array; inv: Float32Array; gx: Float32Array; gw: Float32Array; gb: Float32Array }
const outs: Outs[] = addons.map(() => ({
  out: new Float32Array(rows * cols), rm: new Float32Array(cols), rv: new Float32Array(cols).fill(1),
  mean: new Float32Array(cols), inv: new Float32Array(cols),
  gx: new Float32Array(rows * cols), gw: new Float32Array(cols), gb: new Float32Array(cols),
}));
const fwd = (K: Kernels, o: Outs) => K.batchNorm(x, o.out, rows, cols, weight, bias, o.rm, o.rv, true, 0.1, 1e-5, o.mean, o.inv);
// The gradients (and running statistics) accumulate over timed calls; only the first call's are compared.
const bwd = (K: Kernels, o: Outs) => K.batchNormBackward(x, g, rows, cols, weight, o.mean, o.inv, true, o.gx, o.gw, o.gb);

const { inner, forwardUs, backwardUs } = forwardBackwardPairs('bench/batchnorm', paths, outs, (a) => fwd(addons[a], outs[a]), (a) => bwd(addons[a], outs[a]), rounds);
if (!json) console.log(`batchNorm, ZINC's shape: [${rows}, ${cols}], training, affine; ${rounds} interleaved rounds of ${inner} calls`);
for (let a = 0; a < addons.length; a++) {
  const f = forwardUs[a], b = backwardUs[a];
  if (json) console.log(JSON.stringify({ bench: 'batchnorm_zinc', addon: paths[a], rows, cols, rounds, forward_cpu_us: +f.toFixed(1), backward_cpu_us: +b.toFixed(1) }));
  else console.log(`${paths[a]}: forward ${f.toFixed(1)} us, backward ${b.toFixed(1)} us CPU (median)`);
}
