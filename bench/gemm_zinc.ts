/**
 * The GEMMs of a ZINC training step, one shape class at a time (prints figures, never
 * passes/fails).
 *
 *   npm run bench:gemm-zinc -- [--data-root DIR] [--steps N] [--threads N] [--other ADDON] [--json]
 *
 * Trains 2 warm-up batches and then `--steps` more (default 3) of ZINC's preset with the
 * native backend, and records every `matmul` call of those training steps (not the
 * evaluation) with its shape, flags and process CPU time where it ran ("in step": its
 * inputs as warm or cold as training leaves them; ~1 us of each is the clock's own cost).
 * Calls whose only difference is the node count of the batch (the tall dimension, > 256)
 * form a class; each class is then timed alone on fixed random inputs at the median node
 * count of its calls, in batches of calls lasting >= 5 ms (process CPU time, best of 15),
 * and printed as us per call, GFLOP/s (2 m k n / time), ms per step (its calls a step x
 * its time a call) and the median us a call in step. The peak rows time the same kernel
 * on the shapes it runs best (B in L1) and on a large square product.
 * `--other ADDON` (a gradformer.node built from another commit, e.g. main's): recorded
 * training steps alternate between the two builds' matmul (so `--steps` of each), and each
 * class is timed alone with both builds on the same inputs, batches of calls alternating
 * (A B A B ..., best of 25 each) so that the ratio survives a loaded machine; it also
 * checks that both builds give the same bits on those inputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computePre } from '../src/data/preprocess.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { train } from '../src/train/trainer.js';
import { setBackend, setThreads, useKernels } from '../src/tensor/backend.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { Rng } from '../test/helpers/rng.js';
import { benchArgs } from './args.js';
import { cpuId } from '../src/util/environment.js';

const A = benchArgs('bench:gemm-zinc', { strings: ['data-root', 'steps', 'threads', 'other'], flags: ['json'] });
const json = A.flag('json');
const steps = A.num('steps', 3, true)!;
const threads = A.num('threads', 1, true)!;
const log = (s: string) => { if (!json) process.stdout.write(s + '\n'); };

type Matmul = Kernels['matmul'];
const K = setBackend('native');
if (K.name !== 'native') {
  console.error('bench:gemm-zinc: the native addon is not built (build/Release/gradformer.node); run `npm run install`.');
  process.exit(1);
}
setThreads(threads);
let other: Matmul | null = null;
const otherPath = A.str('other');
if (otherPath !== undefined) {
  try {
    const addon = createRequire(import.meta.url)(resolve(otherPath)) as { matmul: Matmul; setThreads(n: number): void };
    addon.setThreads(threads);
    other = addon.matmul;
  } catch (e) {
    console.error(`bench:gemm-zinc: --other ${otherPath}: cannot load it as a gradformer addon (${(e as Error).message.split('\n')[0]}); pass a built build/Release/gradformer.node`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------- record the calls
interface Call { m: number; k: number; n: number; tA: boolean; tB: boolean; acc: boolean; bias: boolean; relu: boolean; res: boolean; us?: number; other?: boolean }
const calls: Call[] = [];
const WARM = 2; // training steps run before recording (first-touch page faults, JIT)
let done = 0;   // training steps finished
let finished = false; // the epoch's steps are over (what follows is evaluation)
// Each recorded call's process CPU time where it ran in the step (its inputs as warm or
// cold as training leaves them), to set against the same shapes timed alone. With
// --other, recorded steps alternate between the two builds' matmul (same bits, so the
// same training run either way).
const wrapped: Kernels = { ...K, matmul: (a, b, c, m, k, n, tA, tB, acc, bias, relu, res) => {
  if (done < WARM || finished) return K.matmul(a, b, c, m, k, n, tA, tB, acc, bias, relu, res);
  const useOther = other !== null && (done - WARM) % 2 === 1;
  const mm = useOther ? other! : K.matmul;
  const c0 = process.cpuUsage();
  mm(a, b, c, m, k, n, tA, tB, acc, bias, relu, res);
  const d = process.cpuUsage(c0);
  calls.push({ m, k, n, tA, tB, acc, bias: bias != null, relu: relu === true, res: res != null, us: d.user + d.system, other: useOther });
} };
useKernels(wrapped);

const ds0 = await loadDatasetByName('ZINC', A.str('data-root')).catch((e: Error) => {
  console.error(`bench:gemm-zinc: ${e.message}`);
  process.exit(1);
});
const sp = ds0.officialSplit!;
const run = buildRunConfig(ds0, 'ZINC', { train: { epochs: 1 } }, 0);
const nTrain = (WARM + steps * (other ? 2 : 1)) * run.train.batch_size;
const ds = { ...ds0, officialSplit: { train: sp.train.slice(0, nTrain), val: sp.val.slice(0, 1), test: sp.test.slice(0, 1) } };
const pre = await computePre(ds.graphs, run.train.pe, false, ds.name, 1);
const outDir = mkdtempSync(join(tmpdir(), 'gf-bench-gemm-'));
try {
  train({
    run, data: { ds, pre }, outDir, onEvent: (e) => {
      if (e.type === 'batch') { done++; finished = e.step === e.batches; }
    },
  });
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
useKernels(K);

// ---------------------------------------------------------------- classes
/** A dimension above 256 is the batch's node count ('N'); the rest are channels. */
const dim = (x: number) => (x > 256 ? 'N' : String(x));
const keyOf = (c: Call) => `${dim(c.m)}x${dim(c.k)}x${dim(c.n)}${c.tA ? ' tA' : ''}${c.tB ? ' tB' : ''}${c.acc ? ' acc' : ''}${c.bias ? ' bias' : ''}${c.relu ? ' relu' : ''}${c.res ? ' res' : ''}`;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const classes = new Map<string, Call[]>();
const mine = calls.filter((c) => !c.other), theirs = calls.filter((c) => c.other);
// The median (a call that caught a timer tick or the scheduler reads far off the mean).
const inStepUs = (list: Call[]) => (list.length === 0 ? 0 : median(list.map((c) => c.us!)));
for (const c of mine) {
  const key = keyOf(c);
  const list = classes.get(key);
  if (list) list.push(c); else classes.set(key, [c]);
}

const rng = new Rng(7);
const randF32 = (n: number) => rng.f32(n);
/**
 * us per call of each of `fs` (the same problem on different builds): the process CPU
 * time (not wall time: on a shared machine a batch that lost the core to another process
 * counts only what ran) of batches of calls lasting >= 5 ms, the builds' batches
 * alternating (A B A B ...) so that both see the same load; best and median of `reps`.
 */
function timeUs(fs: (() => void)[], reps = 15): { best: number; med: number }[] {
  for (const f of fs) for (let i = 0; i < 3; i++) f();
  let inner = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fs[0]();
    if (performance.now() - t0 >= 5 || inner >= 1 << 16) break;
    inner *= 2;
  }
  const ts: number[][] = fs.map(() => []);
  for (let r = 0; r < reps; r++) {
    fs.forEach((f, j) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < inner; i++) f();
      const c = process.cpuUsage(c0);
      ts[j].push((c.user + c.system) / inner);
    });
  }
  return ts.map((t) => ({ best: Math.min(...t), med: median(t) }));
}
interface Inputs { a: Float32Array; b: Float32Array; c0: Float32Array; bias: Float32Array | null; res: Float32Array | null }
/** Random inputs of call c's shape. */
function inputs(c: Call): Inputs {
  return { a: randF32(c.m * c.k), b: randF32(c.k * c.n), c0: randF32(c.m * c.n), bias: c.bias ? randF32(c.n) : null, res: c.res ? randF32(c.m * c.n) : null };
}
/** A closure running `mm` on the inputs x (into its own copy of C). */
function problem(c: Call, x: Inputs, mm: Matmul): () => void {
  const out = x.c0.slice();
  return () => mm(x.a, x.b, out, c.m, c.k, c.n, c.tA, c.tB, c.acc, x.bias, c.relu, x.res);
}
/** Whether `mm` and `other` give the same bits on the inputs x (one call each, from the same C). */
function sameBits(c: Call, x: Inputs, mm: Matmul, o: Matmul): boolean {
  const p = x.c0.slice(), q = x.c0.slice();
  mm(x.a, x.b, p, c.m, c.k, c.n, c.tA, c.tB, c.acc, x.bias, c.relu, x.res);
  o(x.a, x.b, q, c.m, c.k, c.n, c.tA, c.tB, c.acc, x.bias, c.relu, x.res);
  const u = new Uint32Array(p.buffer), v = new Uint32Array(q.buffer);
  return u.every((w, i) => w === v[i]);
}

interface Row { cls: string; calls_per_step: number; in_step_us: number; in_step_other_us?: number; m: number; k: number; n: number; us: number; us_median: number; gflops: number; ms_per_step: number; other_us?: number; ratio?: number; same_bits?: boolean }
const rows: Row[] = [];
for (const [cls, list] of classes) {
  const pick = (f: (c: Call) => number) => median(list.map(f));
  const c: Call = { ...list[0], m: pick((x) => x.m), k: pick((x) => x.k), n: pick((x) => x.n) };
  const flop = 2 * c.m * c.k * c.n;
  const x = inputs(c);
  const fs = [problem(c, x, K.matmul)];
  if (other) fs.push(problem(c, x, other));
  const [t, o] = timeUs(fs, other ? 25 : 15);
  const row: Row = { cls, calls_per_step: list.length / steps, in_step_us: Number(inStepUs(list).toFixed(2)), m: c.m, k: c.k, n: c.n, us: 0, us_median: 0, gflops: 0, ms_per_step: 0 };
  if (o) {
    row.in_step_other_us = Number(inStepUs(theirs.filter((x) => keyOf(x) === cls)).toFixed(2));
    row.other_us = Number(o.best.toFixed(2));
    row.ratio = Number((t.best / o.best).toFixed(3));
    row.same_bits = sameBits(c, x, K.matmul, other!);
  }
  row.us = Number(t.best.toFixed(2));
  row.us_median = Number(t.med.toFixed(2));
  row.gflops = Number((flop / t.best / 1e3).toFixed(1));
  row.ms_per_step = Number(((row.calls_per_step * t.best) / 1000).toFixed(3));
  rows.push(row);
}
rows.sort((x, y) => y.ms_per_step - x.ms_per_step);

// Peak: the shapes the micro-kernel runs best (B in L1, no copy; A and C in L2), and a
// large square product (B far beyond L1: what this kernel was not written for).
const nn = (m: number, k: number, n: number): Call => ({ m, k, n, tA: false, tB: false, acc: false, bias: false, relu: false, res: false });
const peakShapes: Call[] = [nn(768, 64, 128), nn(768, 128, 64), nn(768, 64, 64), nn(1024, 1024, 1024)];
const peaks = peakShapes.map((c) => {
  const [t] = timeUs([problem(c, inputs(c), K.matmul)]);
  return { shape: `${c.m}x${c.k}x${c.n}`, us: Number(t.best.toFixed(1)), gflops: Number((2 * c.m * c.k * c.n / t.best / 1e3).toFixed(1)) };
});

const total = rows.reduce((s, r) => s + r.ms_per_step, 0);
const inStep = rows.reduce((x, r) => x + r.calls_per_step * r.in_step_us, 0) / 1000;
const inStepOther = other ? rows.reduce((x, r) => x + r.calls_per_step * r.in_step_other_us!, 0) / 1000 : null;
const result = { bench: 'gemm-zinc', threads, cpu_id: cpuId(), steps, calls_per_step: mine.length / steps, ms_per_step: Number(total.toFixed(3)), in_step_ms_per_step: Number(inStep.toFixed(3)), in_step_other_ms_per_step: inStepOther === null ? null : Number(inStepOther.toFixed(3)), classes: rows, peak: peaks, other: otherPath ?? null };
if (json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  log(`ZINC preset, ${steps} training steps recorded, ${result.calls_per_step} matmul calls a step, ${threads} thread(s); m x k x n (N = the batch's nodes, median), best of 15 batches of CPU time (25 with --other)`);
  const head = `${'class'.padEnd(34)} ${'calls'.padStart(5)} ${'m x k x n'.padStart(16)} ${'us'.padStart(8)} ${'GFLOP/s'.padStart(8)} ${'ms/step'.padStart(8)} ${'in step'.padStart(8)}`;
  log(head + (other ? `  ${'other us'.padStart(8)} ${'ratio'.padStart(6)} ${'o in step'.padStart(9)}` : ''));
  for (const r of rows) {
    const line = `${r.cls.padEnd(34)} ${String(r.calls_per_step).padStart(5)} ${`${r.m}x${r.k}x${r.n}`.padStart(16)} ${r.us.toFixed(2).padStart(8)} ${r.gflops.toFixed(1).padStart(8)} ${r.ms_per_step.toFixed(3).padStart(8)} ${r.in_step_us.toFixed(2).padStart(8)}`;
    log(line + (other ? `  ${r.other_us!.toFixed(2).padStart(8)} ${r.ratio!.toFixed(3).padStart(6)} ${r.in_step_other_us!.toFixed(2).padStart(9)} ${r.same_bits ? 'same bits' : 'BITS DIFFER'}` : ''));
  }
  log(`total: ${result.ms_per_step} ms a step, each class alone; ${result.in_step_ms_per_step} ms a step where the calls ran in training (CPU time, 'in step': the median us a call)`);
  if (inStepOther !== null) log(`the other build in its alternate training steps: ${result.in_step_other_ms_per_step} ms a step ('o in step')`);
  for (const p of peaks) log(`peak probe ${p.shape.padEnd(16)} ${String(p.us).padStart(9)} us ${String(p.gflops).padStart(7)} GFLOP/s (CPU ${result.cpu_id ?? 'unknown'})`);
}
