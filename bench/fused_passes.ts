/**
 * The element-wise passes folded into a neighbouring kernel (PERFORMANCE round 16f), on
 * ZINC's shapes, the old kernel chain against the fused call on the same addon (prints
 * figures, never passes/fails):
 *
 *   npm run bench:fused [-- --rounds 21] [-- --rows 742] [-- --json]
 *
 * - h = local + BN2(x): batchNorm then binary add into a new buffer (the chain) against
 *   batchNorm with the addend (x [rows, 64], training, affine);
 * - a Linear+ReLU's backward: unaryBackward relu into a zero-filled buffer then the bias's
 *   row sums (binaryBackward add, 'row') against reluBackwardBias ([rows, 128]: the FFN's
 *   first Linear; [rows, 64]: GINE's MLP).
 * Each round times the chain and the fused call in turn (interleaved, so load changes hit
 * both alike); a figure is the median over rounds of CPU microseconds per call. The outputs
 * of both are compared bit for bit first.
 */
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { Rng } from '../test/helpers/rng.js';
import { benchArgs } from './args.js';
import { callsLasting, cpuUs, median, sameBits } from './interleave.js';

const A = benchArgs('bench/fused_passes', { strings: ['rounds', 'rows'], flags: ['json'] });
const json = A.flag('json');
const rounds = A.num('rounds', 21, true)!;
const rows = A.num('rows', 742, true)!;
const K = loadNativeKernels();
if (!K) {
  console.error('bench/fused_passes: the native addon is not built (npm ci, or npm run install)');
  process.exit(1);
}

const gen = new Rng(17);
const f32 = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * gen.next());

/** Two ways to the same outputs; `outs` reads the chain's (false) or the fused call's (true) after a call. */
interface Pair { name: string; chain: () => void; fused: () => void; outs: (fused: boolean) => Float32Array[] }

function bnPair(C: number): Pair {
  const x = f32(rows * C, -2, 4), local = f32(rows * C), w = f32(C, 0.5, 1.5), b = f32(C);
  const out = new Float32Array(rows * C), h = new Float32Array(rows * C), fusedOut = new Float32Array(rows * C);
  const rm = new Float32Array(C), rv = new Float32Array(C).fill(1), sm = new Float32Array(C), si = new Float32Array(C);
  return {
    name: `batchNorm [${rows}, ${C}] + add`,
    chain: () => {
      K!.batchNorm(x, out, rows, C, w, b, rm, rv, true, 0.1, 1e-5, sm, si);
      K!.binary('add', local, out, h, rows, C, 'full');
    },
    fused: () => K!.batchNorm(x, fusedOut, rows, C, w, b, rm, rv, true, 0.1, 1e-5, sm, si, local),
    outs: (fused) => [fused ? fusedOut : h],
  };
}

function reluPair(C: number): Pair {
  const y = f32(rows * C).map((v) => Math.max(v, 0)), g = f32(rows * C);
  const gz = new Float32Array(rows * C), gzF = new Float32Array(rows * C), gb = new Float32Array(C), gbF = new Float32Array(C);
  return {
    name: `relu backward + bias sums [${rows}, ${C}]`,
    chain: () => {
      gz.fill(0); // the pool's zero-filled buffer the chain took
      gb.fill(0);
      K!.unaryBackward('relu', y, y, g, gz, 0);
      K!.binaryBackward('add', gz, gb, gz, null, gb, rows, C, 'row');
    },
    fused: () => {
      gbF.fill(0);
      K!.reluBackwardBias(y, g, gzF, rows, C, gbF);
    },
    outs: (fused) => fused ? [gzF, gbF] : [gz, gb],
  };
}


K.setThreads(1);
for (const p of [bnPair(64), reluPair(128), reluPair(64)]) {
  p.chain();
  p.fused();
  if (!p.outs(false).every((o, i) => sameBits(o, p.outs(true)[i]))) console.log(`bench/fused_passes: ${p.name}: the fused call's bits differ from the chain's`);
  const inner = callsLasting(p.chain);
  const ch: number[] = [], fu: number[] = [];
  for (let rd = 0; rd < rounds; rd++) {
    ch.push(cpuUs(p.chain, inner));
    fu.push(cpuUs(p.fused, inner));
  }
  const c = median(ch), f = median(fu);
  if (json) console.log(JSON.stringify({ bench: 'fused_passes', pass: p.name, rows, rounds, chain_cpu_us: +c.toFixed(1), fused_cpu_us: +f.toFixed(1) }));
  else console.log(`${p.name}: chain ${c.toFixed(1)} us, fused ${f.toFixed(1)} us CPU (median of ${rounds} interleaved rounds of ${inner} calls)`);
}
