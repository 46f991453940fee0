/**
 * Training benchmark: whole epochs of the real trainer (src/train/trainer.ts) on a
 * dataset with its official preset, as the PyTorch peer (bench/peer/bench_peer.py)
 * measures them.
 *
 *   npm run bench:train -- --dataset NCI1 [--data-root DIR] [--epochs 3] [--layers N]
 *       [--threads N|auto] [--limit N] [--eval-limit N] [--batch-size N] [--no-profile] [--json] [--device cpu|cuda]
 *
 * Prints the median training-epoch time (the first epoch is a warm-up and is not
 * counted, as in the peer) and its process CPU time (steadier than wall time on a
 * loaded machine), graphs/s, evaluation time (no-grad forward over the
 * validation split), preprocessing (load + distances + RWSE, cold: no cache), peak
 * RSS, and the per-kernel time breakdown of one extra, profiled epoch (not part of
 * the median: the timing wrapper adds ~0.1 us per kernel call).
 * --limit N: TU datasets use the first N graphs (then the 80/10/10 split, as the
 * peer's --limit); datasets with an official split train on its first N training graphs
 * (--eval-limit N: and evaluate on the first N graphs of its validation and test splits).
 * --device cuda trains on the GPU and adds the peak device memory (the kernel profile
 * is host wall time, meaningless for asynchronous GPU kernels: use --no-profile there).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { computePre } from '../src/data/preprocess.js';
import type { GraphDataset } from '../src/data/dataset.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { train, type TrainEvent } from '../src/train/trainer.js';
import { kernels, setThreads } from '../src/tensor/backend.js';
import { describeDecision, type TunerDecision } from '../src/tensor/thread_tuner.js';
import { scratch } from '../src/tensor/tensor.js';
import { startKernelProfile, type KernelProfile } from '../src/tensor/profile.js';
import { parseDevice, setDevice } from '../src/tensor/device.js';
import { loadCuda, type Transfers } from '../src/tensor/kernels_cuda.js';
import { benchArgs } from './args.js';
import { cpuId } from '../src/util/environment.js';

const A = benchArgs('bench:train', {
  strings: ['dataset', 'data-root', 'epochs', 'threads', 'limit', 'eval-limit', 'device', 'layers', 'batch-size'],
  flags: ['json', 'no-profile'],
});
const json = A.flag('json');
const datasetName = A.str('dataset', 'NCI1')!;
const dataRoot = A.str('data-root');
const epochs = A.num('epochs', 3)!;
// auto: the training run's thread tuner chooses (src/tensor/thread_tuner.ts); its choices are in the result
const threads: number | 'auto' = A.str('threads') === 'auto' ? 'auto' : A.num('threads', 1, true)!;
const limit = A.num('limit');
const evalLimit = A.num('eval-limit');
const profileOn = !A.flag('no-profile');
const log = (s: string) => { if (!json) process.stdout.write(s + '\n'); };

setThreads(threads);
const device = setDevice(parseDevice(A.str('device', 'cpu')!, 'bench:train: --device')).name;
if (device === 'cuda') loadCuda().resetPeak();
const load0 = loadavg()[0];
const t0 = performance.now();
let ds: GraphDataset = await loadDatasetByName(datasetName, dataRoot);
if (limit !== undefined) {
  if (ds.officialSplit) {
    const sp = ds.officialSplit;
    const ev = (x: Int32Array) => (evalLimit !== undefined ? x.slice(0, evalLimit) : x);
    ds = { ...ds, officialSplit: { train: sp.train.slice(0, limit), val: ev(sp.val), test: ev(sp.test) } };
  } else {
    ds = { ...ds, graphs: ds.graphs.slice(0, limit) };
  }
}
const loadS = (performance.now() - t0) / 1000;
const over = {
  model: { ...(A.str('layers') ? { num_layers: A.num('layers') } : {}) },
  train: { epochs: epochs + (profileOn ? 1 : 0), ...(A.str('batch-size') ? { batch_size: A.num('batch-size') } : {}) },
};
const run = buildRunConfig(ds, datasetName, over, 0);
// Preprocessing of the graphs used, cold (no cache), one thread as the peer.
const t1 = performance.now();
const pre = await computePre(ds.graphs, run.train.pe, false, ds.name, 1);
const preS = (performance.now() - t1) / 1000;

const outDir = mkdtempSync(join(tmpdir(), 'gf-bench-train-'));
let prof: { profile: KernelProfile; stop: () => void } | null = null;
let profMs = 0, profT0 = 0;
// Pool arrays allocated after the warm-up epoch (a leak shows as a steady count: fresh
// zeroed memory and GC work every batch).
let allocAfterWarmup = 0, allocTimedEnd = 0;
// Host <-> device traffic of the training steps of the last timed epoch (cuda): the
// counters of the CUDA runtime, reset at its start and read at its last batch.
let traffic: (Transfers & { steps: number }) | null = null;
// Process CPU seconds of each epoch's training batches (the trainer's epoch_seconds is
// wall time): on a loaded machine CPU time moves far less between runs than wall time.
const cpuEpochs: number[] = [];
let cpu0: NodeJS.CpuUsage | null = null;
const onEvent = (e: TrainEvent) => {
  if (device === 'cuda' && e.type === 'epoch_start' && e.epoch === epochs) loadCuda().resetTransfers();
  if (device === 'cuda' && e.type === 'batch' && e.epoch === epochs && e.step === e.batches) traffic = { ...loadCuda().transfers(), steps: e.batches };
  if (e.type === 'epoch_start') cpu0 = process.cpuUsage();
  if (e.type === 'batch' && e.step === e.batches && cpu0 !== null) {
    const d = process.cpuUsage(cpu0);
    cpuEpochs.push((d.user + d.system) / 1e6);
    cpu0 = null;
  }
  if (e.type === 'epoch_end' && e.record.epoch === 1) allocAfterWarmup = scratch.allocations;
  if (e.type === 'epoch_end' && e.record.epoch === epochs) allocTimedEnd = scratch.allocations;
  if (!profileOn) return;
  if (e.type === 'epoch_start' && e.epoch === epochs + 1) { prof = startKernelProfile(); profT0 = performance.now(); }
  if (e.type === 'batch' && prof && e.step === e.batches) { profMs = performance.now() - profT0; prof.stop(); }
};
const tuned: TunerDecision[] = [];
let res;
try {
  res = train({ run, data: { ds, pre }, outDir, onEvent: (e) => { if (e.type === 'threads') tuned.push(e.decision); onEvent(e); } });
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
const timed = res.epochs.slice(0, epochs);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const counted = timed.length > 1 ? timed.slice(1) : timed;
const epochS = median(counted.map((r) => r.epoch_seconds));
const cpuTimed = cpuEpochs.slice(0, epochs);
const cpuS = median(cpuTimed.length > 1 ? cpuTimed.slice(1) : cpuTimed);
// The trainer's eval_seconds covers val + test: scale to the validation split alone.
const split = ds.officialSplit ?? null;
const nTrain = Math.round(counted[0].graphs_per_second * counted[0].epoch_seconds);
const nVal = split ? split.val.length : Math.floor(ds.graphs.length * 0.1);
const nTest = split ? split.test.length : ds.graphs.length - Math.floor(ds.graphs.length * 0.8) - nVal;
const evalValS = median(counted.map((r) => r.eval_seconds)) * nVal / Math.max(1, nVal + nTest);
const p = prof as { profile: KernelProfile } | null;
const kernelRows = p ? p.profile.rows() : [];
const kernelMs = p ? p.profile.total() : 0;
/** Traffic per training step (device -> host reads wait for the device: the host syncs). */
function perStep(t: Transfers & { steps: number }) {
  const r = (v: number) => Number((v / t.steps).toFixed(2));
  return { steps: t.steps, uploads: r(t.uploads), upload_bytes: r(t.uploadBytes), reads: r(t.reads), read_bytes: r(t.readBytes), syncs: r(t.syncs) };
}
const tr = traffic as (Transfers & { steps: number }) | null;
const result = {
  bench: 'gradformer-train', backend: kernels().name, threads, cpu_id: cpuId(), dataset: ds.name, preset: run.preset,
  layers: run.model.num_layers, channels: run.model.channels, heads: run.model.nhead, mpnn: run.model.mpnn,
  batch: run.train.batch_size, train_graphs: nTrain, val_graphs: nVal, load_avg_1min: Number(load0.toFixed(2)),
  load_s: Number(loadS.toFixed(3)), preprocess_s: Number(preS.toFixed(3)),
  epoch_s: Number(epochS.toFixed(3)), epochs_s: timed.map((r) => Number(r.epoch_seconds.toFixed(3))),
  epoch_cpu_s: Number(cpuS.toFixed(3)), epochs_cpu_s: cpuTimed.map((x) => Number(x.toFixed(3))),
  graphs_per_s: Number((nTrain / epochS).toFixed(1)), eval_val_s: Number(evalValS.toFixed(3)),
  eval_graphs_per_s: Number((nVal / evalValS).toFixed(1)),
  peak_rss_mb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
  device, peak_device_mb: device === 'cuda' ? Number((loadCuda().peakBytes() / 2 ** 20).toFixed(1)) : null,
  pool_allocations_after_warmup: epochs > 1 ? allocTimedEnd - allocAfterWarmup : null,
  per_step: tr === null ? null : perStep(tr),
  threads_by_epoch: res.epochs.map((r) => r.threads), thread_decisions: tuned,
  last_loss: Number(timed[timed.length - 1].train_loss.toFixed(4)),
  profile: p ? {
    epoch_ms: Number(profMs.toFixed(1)), kernel_ms: Number(kernelMs.toFixed(1)),
    outside_kernels_ms: Number((profMs - kernelMs).toFixed(1)),
    kernels: kernelRows.map((r) => ({ kernel: r.kernel, calls: r.calls, ms: Number(r.ms.toFixed(2)) })),
  } : null,
};
if (json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  log(`${result.dataset} (${result.preset}, ${result.mpnn}, ${result.layers} layers, batch ${result.batch}), ${result.backend} backend, ${threads} thread(s), load avg ${result.load_avg_1min}, CPU ${result.cpu_id ?? 'unknown'}`);
  log(`  train graphs ${nTrain}; epochs ${result.epochs_s.join(' / ')} s -> median ${result.epoch_s} s (first is warm-up), ${result.graphs_per_s} graphs/s`);
  log(`  process CPU per epoch ${result.epochs_cpu_s.join(' / ')} s -> median ${result.epoch_cpu_s} s`);
  if (threads === 'auto') {
    log(`  threads by epoch ${result.threads_by_epoch.join(' / ')}; tuner: ${tuned.map(describeDecision).join('; ') || 'no decision yet'}`);
  }
  log(`  eval (val split, ${nVal} graphs, no grad): ${result.eval_val_s} s, ${result.eval_graphs_per_s} graphs/s`);
  log(`  load ${result.load_s} s, preprocessing (cold, distances + ${run.train.pe.kind}${run.train.pe.dim}) ${result.preprocess_s} s; peak RSS ${result.peak_rss_mb} MB`);
  if (result.per_step) {
    const t = result.per_step;
    log(`  host <-> device per training step (${t.steps} steps): ${t.uploads} uploads (${t.upload_bytes} B), ${t.reads} reads that wait for the device (${t.read_bytes} B), ${t.syncs} syncs`);
  }
  if (result.pool_allocations_after_warmup !== null) log(`  scratch-pool arrays allocated after the warm-up epoch: ${result.pool_allocations_after_warmup} (evaluation included)`);
  if (result.profile) {
    const pr = result.profile;
    log(`  profiled epoch: ${pr.epoch_ms} ms, kernels ${pr.kernel_ms} ms, outside kernels (tape, allocation, GC, batching) ${pr.outside_kernels_ms} ms`);
    for (const r of pr.kernels.slice(0, 25)) log(`    ${r.kernel.padEnd(34)} ${String(r.calls).padStart(7)} calls ${r.ms.toFixed(1).padStart(9)} ms`);
  }
}
