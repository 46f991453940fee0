/**
 * The training loop of the official main.py, made resumable:
 * per epoch, shuffled training batches (forward, loss, backward, optional clip,
 * optimiser step), then evaluation of val and test under noGrad in eval mode,
 * model selection on the validation metric (strict improvement, earliest best
 * wins), the test metric taken at the best validation epoch.
 *
 * Randomness: one seed. The split uses it directly; a master generator seeded
 * with it draws the seeds of three streams (weight init, batch shuffling =
 * the training GraphLoader's Rng, dropout). The loader's and the dropout
 * states are saved in every checkpoint, so `--resume` continues bit-for-bit.
 *
 * Splits and batches come from the data layer: datasetSplit (src/data/splits.ts)
 * and GraphLoader (src/data/loader.ts).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphDataset, Split } from '../data/dataset.js';
import { GraphLoader } from '../data/loader.js';
import { datasetSplit, subsampleTrain } from '../data/splits.js';
import type { GraphBatch, GraphPre } from '../graph/types.js';
import { Gradformer } from '../models/gradformer.js';
import { noGrad, scoped } from '../tensor/tensor.js';
import { currentDevice, type Storage } from '../tensor/device.js';
import { writeFileAtomic } from '../util/atomic.js';
import { currentEnvironment } from '../util/environment.js';
import { Rng } from '../util/rng.js';
import {
  loadCheckpointWeights, loadOptimizerState, readCheckpointState, saveCheckpoint, type CheckpointState,
} from './checkpoint.js';
import { clipGradNorm } from './clip.js';
import { computeLoss, lossArrays } from './losses.js';
import { computeMetric, higherIsBetter, type MetricName } from './metrics.js';
import { Optimizer } from './optim.js';
import type { RunConfig } from './runconfig.js';
import { LrSchedule } from './schedule.js';

/** A dataset with its preprocessing, ready for batching. */
export interface PreparedData {
  ds: GraphDataset;
  pre: GraphPre[];
}

/** One line of log.jsonl. */
export interface EpochRecord {
  epoch: number;
  train_loss: number;
  val: number;
  test: number;
  metric: MetricName;
  lr: number;
  epoch_seconds: number;
  eval_seconds: number;
  graphs_per_second: number;
  peak_rss_mb: number;
  /** The learned hop shift of every head at the end of the epoch. */
  hop: number[];
}

export interface FinalRecord { final: true; best_epoch: number; val: number; test: number; metric: MetricName }

export type TrainEvent =
  | { type: 'epoch_start'; epoch: number; epochs: number; batches: number }
  | { type: 'batch'; epoch: number; step: number; batches: number; loss: number }
  | { type: 'epoch_end'; record: EpochRecord; improved: boolean }
  | { type: 'final'; record: FinalRecord };

export interface TrainOptions {
  run: RunConfig;
  data: PreparedData;
  /** Run folder (config.json, log.jsonl, best/, last/). */
  outDir: string;
  /** Continue from outDir/last (the run configuration comes from the checkpoint). */
  resume?: boolean;
  /** Stop after this epoch without writing the final line (an interruption; for tests and budgets). */
  untilEpoch?: number;
  onEvent?: (e: TrainEvent) => void;
}

export interface TrainResult {
  bestEpoch: number;
  val: number;
  test: number;
  metric: MetricName;
  epochs: EpochRecord[];
  model: Gradformer;
  /** Whether all epochs ran (false when stopped by untilEpoch). */
  finished: boolean;
}

/** Training stopped on a NaN or infinite loss. */
export class DivergedError extends Error {
  /** `lastGood`: the folder of the last good checkpoint, or null when the first epoch failed. */
  constructor(readonly epoch: number, readonly step: number, readonly loss: number, lastGood: string | null) {
    super(`training diverged: loss is ${loss} at epoch ${epoch}, step ${step}; stopped, ` +
      `${lastGood ? `the last good checkpoint is ${lastGood}` : 'no checkpoint was written (it failed in the first epoch)'} (try a smaller --lr, or --fix-grad-clip with --grad-clip)`);
    this.name = 'DivergedError';
  }
}

/**
 * The seeds drawn from the run seed: weight init, shuffling, dropout, and the
 * training subsample of --train-fraction (drawn fourth, so the first three are
 * those of every earlier run).
 */
export function streamSeeds(seed: number): { init: number; shuffle: number; dropout: number; subsample: number } {
  const m = new Rng(seed);
  return { init: m.nextU32(), shuffle: m.nextU32(), dropout: m.nextU32(), subsample: m.nextU32() };
}

/**
 * Builds the model of a run configuration (weights from the run's init stream, drawn
 * on the host so every device starts from the same numbers) on the current device
 * (`setDevice`, --device, GRADFORMER_DEVICE; default cpu).
 */
export function buildModel(run: RunConfig, dropRng: Rng = new Rng(streamSeeds(run.seed).dropout)): Gradformer {
  return new Gradformer(run.model, new Rng(streamSeeds(run.seed).init), dropRng).to(currentDevice());
}

/** The split of a run (its protocol, split seed or seed, and fold). */
export function runSplit(run: RunConfig, ds: GraphDataset): Split {
  const split = datasetSplit(ds, run.train.split, run.train.split_seed ?? run.seed, run.fold);
  const f = run.train.train_fraction;
  if (f === undefined || f === 1) return split;
  // Its own stream (not the split's generator): the same seed draws the same subset on any split.
  const labels = ds.task === 'multi_class' ? ds.graphs.map((g) => g.y[0]) : null;
  return { ...split, train: subsampleTrain(split.train, labels, f, streamSeeds(run.seed).subsample) };
}

/** Whether a node-level task (outputs per node). */
export function isNodeTask(run: Pick<RunConfig, 'model'>): boolean {
  return run.model.task === 'node_multi_class';
}

/** Model outputs [rows, cols] and targets over batches (a list or a GraphLoader), in eval mode without gradients. */
export function predict(model: Gradformer, batches: Iterable<GraphBatch>, nodeLevel: boolean): { out: Float32Array; cols: number; y: Float32Array } {
  const wasTraining = model.training;
  model.eval();
  try {
    let outs: Float32Array[] = [];
    const ys: Float32Array[] = [], D = model.hop.device, kept: Storage[] = [];
    let cols = 0;
    noGrad(() => {
      for (const b of batches) {
        // Op outputs of one batch go back to the pool for the next one: copy the
        // model output before releasing them (on a device, into a buffer of its own,
        // all read back at the end in one transfer: no wait for the device per batch).
        const s = scoped(() => model.forward(b).out);
        cols = s.value.cols;
        if (D.name === 'cpu') {
          outs.push(s.value.toHost().slice());
        } else {
          const keep = D.take(s.value.size, false);
          D.kernels().unary('scale', s.value.storage, keep, 1); // a copy: 1 * x is x
          kept.push(keep);
        }
        s.release();
        ys.push(nodeLevel ? Float32Array.from(b.nodeY!) : b.y);
      }
    });
    if (kept.length > 0) {
      outs = D.readAll(kept);
      for (const k of kept) D.give(k);
    }
    const cat = (a: Float32Array[]) => {
      const r = new Float32Array(a.reduce((s, x) => s + x.length, 0));
      let o = 0;
      for (const x of a) { r.set(x, o); o += x.length; }
      return r;
    };
    return { out: cat(outs), cols, y: cat(ys) };
  } finally {
    model.train(wasTraining);
  }
}

/**
 * A metric of a model over batches: by name ('accuracy', 'mae', 'rocauc', ...),
 * or a run's configured metric when given the run. Node-level or graph-level
 * follows the model's task.
 */
export function evaluate(model: Gradformer, batches: Iterable<GraphBatch>, metric: MetricName | RunConfig): number {
  const { out, cols, y } = predict(model, batches, isNodeTask({ model: model.config }));
  return computeMetric(typeof metric === 'string' ? metric : metric.train.metric, out, cols, y);
}

const finiteOrNull = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

/** Trains (or resumes) a run; writes the run folder; returns the best epoch and its metrics. */
export function train(opts: TrainOptions): TrainResult {
  const { outDir, data } = opts;
  const { ds, pre } = data;
  const lastDir = join(outDir, 'last'), bestDir = join(outDir, 'best'), logPath = join(outDir, 'log.jsonl');
  let st: CheckpointState | null = null;
  let run = opts.run;
  if (opts.resume) {
    if (!existsSync(join(lastDir, 'state.json'))) {
      throw new Error(`resume: ${lastDir} holds no checkpoint (state.json); pass the run folder of an earlier \`gradformer train\``);
    }
    st = readCheckpointState(lastDir);
    // Only the number of epochs may change on resume (to extend a run).
    run = { ...st.run, train: { ...st.run.train, epochs: Math.max(opts.run.train.epochs, st.epoch) } };
  }
  const T = run.train;
  const seeds = streamSeeds(run.seed);
  const dropRng = new Rng(seeds.dropout);
  const model = buildModel(run, dropRng);
  const split = runSplit(run, ds);
  // DataLoader(shuffle=True): a fresh order every epoch from the shuffle stream, last batch kept.
  const trainLoader = new GraphLoader(ds.graphs, pre, split.train, { batchSize: T.batch_size, shuffle: true, seed: seeds.shuffle });
  const batchesPerEpoch = trainLoader.numBatches;
  const opt = new Optimizer(T.optimizer, model.namedParameters(), { lr: T.lr, weightDecay: T.weight_decay });
  const sched = new LrSchedule(T.lr, { kind: T.scheduler, stepEvery: T.scheduler_step, warmup: T.warmup, epochs: T.epochs, batchesPerEpoch });
  const metric = T.metric;
  const better = (a: number, b: number) => (higherIsBetter(metric) ? a > b : a < b);
  const nodeLevel = isNodeTask(run);

  let startEpoch = 0, globalStep = 0;
  let best: { epoch: number; val: number; test: number } | null = null;
  const records: EpochRecord[] = [];
  mkdirSync(outDir, { recursive: true });
  if (st) {
    loadCheckpointWeights(lastDir, model);
    opt.setState(loadOptimizerState(lastDir, st));
    trainLoader.setState(st.rng.shuffle);
    dropRng.setState(st.rng.dropout);
    sched.steps = st.schedule_steps;
    startEpoch = st.epoch; globalStep = st.global_step; best = st.best;
    // Keep the log lines of the epochs the checkpoint covers; drop anything later.
    if (existsSync(logPath)) {
      const kept = readFileSync(logPath, 'utf8').split('\n').filter((l) => l.trim() !== '').filter((l) => {
        const o = JSON.parse(l);
        return !o.final && o.epoch <= st!.epoch;
      });
      for (const l of kept) records.push(JSON.parse(l));
      writeFileAtomic(logPath, kept.map((l) => l + '\n').join(''));
    }
  } else {
    writeFileSync(logPath, '');
  }
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(run, null, 1) + '\n');
  writeFileAtomic(join(outDir, 'env.json'), JSON.stringify(currentEnvironment(), null, 1) + '\n');

  // Collated once: the same batches are evaluated every epoch.
  const valBatches = [...new GraphLoader(ds.graphs, pre, split.val, { batchSize: T.batch_size })];
  const testBatches = [...new GraphLoader(ds.graphs, pre, split.test, { batchSize: T.batch_size })];
  const lastEpoch = Math.min(T.epochs, opts.untilEpoch ?? T.epochs);
  const params = model.parameters();

  for (let epoch = startEpoch + 1; epoch <= lastEpoch; epoch++) {
    model.train();
    opts.onEvent?.({ type: 'epoch_start', epoch, epochs: T.epochs, batches: batchesPerEpoch });
    const t0 = performance.now();
    let total = 0, graphs = 0, lr = sched.lr(), s = -1;
    for (const batch of trainLoader) {
      s++;
      opt.zeroGrad();
      model.stage(batch, lossArrays(T.loss, batch, nodeLevel)); // the batch and its targets in one upload
      const { out } = model.forward(batch);
      const loss = computeLoss(T.loss, out, batch, nodeLevel);
      const v = loss.item();
      if (!Number.isFinite(v)) throw new DivergedError(epoch, s + 1, v, existsSync(lastDir) ? lastDir : null);
      loss.backward();
      // Official quirk: clip_grad_norm_ runs before backward() and changes nothing.
      if (T.clip_grad_norm !== null && T.clip_effective) clipGradNorm(params, T.clip_grad_norm);
      lr = sched.lr();
      opt.lr = lr;
      opt.step();
      sched.afterBatch();
      globalStep++;
      total += v * batch.numGraphs;
      graphs += batch.numGraphs;
      opts.onEvent?.({ type: 'batch', epoch, step: s + 1, batches: batchesPerEpoch, loss: v });
    }
    const epochSeconds = (performance.now() - t0) / 1000;
    sched.afterEpoch();
    const t1 = performance.now();
    const val = evaluate(model, valBatches, run);
    const test = evaluate(model, testBatches, run);
    const evalSeconds = (performance.now() - t1) / 1000;
    const improved = best === null || better(val, best.val);
    if (improved) best = { epoch, val, test };
    const record: EpochRecord = {
      epoch, train_loss: total / graphs, val, test, metric, lr, epoch_seconds: epochSeconds, eval_seconds: evalSeconds,
      graphs_per_second: graphs / epochSeconds, peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      hop: Array.from(model.hop.toHost()),
    };
    records.push(record);
    appendFileSync(logPath, JSON.stringify(record, finiteOrNull) + '\n');
    const state = {
      run, epoch, global_step: globalStep, schedule_steps: sched.steps,
      rng: { shuffle: trainLoader.getState(), dropout: dropRng.getState() },
      metrics: { train_loss: record.train_loss, val, test }, best,
    };
    const optState = opt.getState();
    if (improved) saveCheckpoint(bestDir, model, optState, state);
    saveCheckpoint(lastDir, model, optState, state);
    opts.onEvent?.({ type: 'epoch_end', record, improved });
  }
  const finished = lastEpoch >= T.epochs;
  if (!best) throw new Error('train: no epoch ran (epochs must be >= 1)');
  if (finished) {
    const fin: FinalRecord = { final: true, best_epoch: best.epoch, val: best.val, test: best.test, metric };
    appendFileSync(logPath, JSON.stringify(fin, finiteOrNull) + '\n');
    opts.onEvent?.({ type: 'final', record: fin });
  }
  return { bestEpoch: best.epoch, val: best.val, test: best.test, metric, epochs: records, model, finished };
}
