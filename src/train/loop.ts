/**
 * The training loop of the official main.py, without files (Node-free): the CLI's
 * trainer (trainer.ts) wraps it with the run folder, log and checkpoints, and the
 * web page's worker runs it as is, so both compute the same losses.
 *
 * Per epoch: shuffled training batches (forward, loss, backward, optional clip,
 * optimiser step), then evaluation of val and test under noGrad in eval mode,
 * model selection on the validation metric (strict improvement, earliest best
 * wins), the test metric taken at the best validation epoch.
 *
 * Randomness: one seed. The split uses it directly; a master generator seeded
 * with it draws the seeds of three streams (weight init, batch shuffling =
 * the training GraphLoader's Rng, dropout). Their states are part of
 * `checkpointState()`, so a restored loop continues bit-for-bit.
 */
import type { GraphDataset, Split } from '../data/dataset.js';
import { GraphLoader } from '../data/loader.js';
import { datasetSplit, subsampleTrain } from '../data/splits.js';
import type { GraphBatch, GraphPre } from '../graph/types.js';
import { Gradformer } from '../models/gradformer.js';
import { kernels } from '../tensor/active.js';
import { currentDevice } from '../tensor/device.js';
import type { ThreadTuner, TunerDecision } from '../tensor/thread_tuner.js';
import { Rng } from '../util/rng.js';
import type { CheckpointState } from './checkpoint.js';
import { clipGradNorm } from './clip.js';
import { computeLoss, lossArrays } from './losses.js';
import { computeMetric, higherIsBetter, type MetricName } from './metrics.js';
import { Optimizer, type OptimizerState } from './optim.js';
import { predict } from './predict.js';
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
  /** Peak resident memory of the process (NaN where it cannot be read, as in a browser). */
  peak_rss_mb: number;
  /** The learned hop shift of every head at the end of the epoch. */
  hop: number[];
  /** The kernels' thread count most of the epoch's training steps ran on (with `--threads auto`, the tuner's choice). */
  threads: number;
}

export interface FinalRecord { final: true; best_epoch: number; val: number; test: number; metric: MetricName }

/**
 * Progress of a training run, in order: epoch_start, then a batch event per
 * optimiser step (its loss), epoch_end (the epoch's log record; `improved` = a new
 * best validation metric, saved to best/), and final once a run has run all its epochs.
 */
export type TrainEvent =
  | { type: 'epoch_start'; epoch: number; epochs: number; batches: number }
  | { type: 'batch'; epoch: number; step: number; batches: number; loss: number }
  | { type: 'threads'; decision: TunerDecision }
  | { type: 'epoch_end'; record: EpochRecord; improved: boolean }
  | { type: 'final'; record: FinalRecord };

/** Training stopped on a NaN or infinite loss. */
export class DivergedError extends Error {
  /**
   * `lastGood`: the folder of the last good checkpoint, or null when the first epoch failed.
   * @param epoch the epoch (1-based) the loss diverged in
   * @param step the step within that epoch (1-based)
   * @param loss the non-finite loss
   */
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

/**
 * A metric of a model over batches: by name ('accuracy', 'mae', 'rocauc', ...),
 * or a run's configured metric when given the run. Node-level or graph-level
 * follows the model's task.
 */
export function evaluate(model: Gradformer, batches: Iterable<GraphBatch>, metric: MetricName | RunConfig): number {
  const { out, cols, y } = predict(model, batches, isNodeTask({ model: model.config }));
  return computeMetric(typeof metric === 'string' ? metric : metric.train.metric, out, cols, y);
}

/** The part of a checkpoint's state.json that the loop itself keeps. */
export type LoopState = Omit<CheckpointState, 'format' | 'optimizer'>;

export interface LoopOptions {
  onEvent?: (e: TrainEvent) => void;
  /** Peak memory in MB for the epoch records (default: NaN, not measured). */
  peakMemoryMb?: () => number;
  /** The last good checkpoint named by DivergedError (default: none). */
  lastGood?: () => string | null;
  /** Chooses the thread count step by step (`--threads auto`; backend.ts autoThreadTuner); default: the count set. */
  threads?: ThreadTuner | null;
}

/** A run in progress: model, optimiser, schedule, loaders and the best epoch so far; one epoch per `runEpoch()`. */
export class TrainingLoop {
  readonly model: Gradformer;
  readonly optimizer: Optimizer;
  readonly schedule: LrSchedule;
  readonly split: Split;
  readonly trainLoader: GraphLoader;
  /** Epochs completed, optimiser steps taken. */
  epoch = 0;
  globalStep = 0;
  best: { epoch: number; val: number; test: number } | null = null;
  private readonly dropRng: Rng;
  private readonly valBatches: GraphBatch[];
  private readonly testBatches: GraphBatch[];

  constructor(readonly run: RunConfig, data: PreparedData, private readonly opts: LoopOptions = {}) {
    const T = run.train, { ds, pre } = data;
    const seeds = streamSeeds(run.seed);
    this.dropRng = new Rng(seeds.dropout);
    this.model = buildModel(run, this.dropRng);
    this.split = runSplit(run, ds);
    // DataLoader(shuffle=True): a fresh order every epoch from the shuffle stream, last batch kept.
    this.trainLoader = new GraphLoader(ds.graphs, pre, this.split.train, { batchSize: T.batch_size, shuffle: true, seed: seeds.shuffle });
    this.optimizer = new Optimizer(T.optimizer, this.model.namedParameters(), { lr: T.lr, weightDecay: T.weight_decay });
    this.schedule = new LrSchedule(T.lr, { kind: T.scheduler, stepEvery: T.scheduler_step, warmup: T.warmup, epochs: T.epochs, batchesPerEpoch: this.trainLoader.numBatches });
    // Collated once: the same batches are evaluated every epoch.
    this.valBatches = [...new GraphLoader(ds.graphs, pre, this.split.val, { batchSize: T.batch_size })];
    this.testBatches = [...new GraphLoader(ds.graphs, pre, this.split.test, { batchSize: T.batch_size })];
  }

  /** Continues from a checkpoint's state (the caller has loaded its weights into `model`). */
  restore(st: LoopState, opt: OptimizerState): void {
    this.optimizer.setState(opt);
    this.trainLoader.setState(st.rng.shuffle);
    this.dropRng.setState(st.rng.dropout);
    this.schedule.steps = st.schedule_steps;
    this.epoch = st.epoch; this.globalStep = st.global_step; this.best = st.best;
  }

  /** Trains the next epoch and evaluates it; `improved`: it is the new best on the validation metric. */
  runEpoch(): { record: EpochRecord; improved: boolean } {
    const T = this.run.train, { model, optimizer: opt, schedule: sched } = this;
    const epoch = this.epoch + 1, batches = this.trainLoader.numBatches, nodeLevel = isNodeTask(this.run);
    const params = model.parameters();
    model.train();
    this.opts.onEvent?.({ type: 'epoch_start', epoch, epochs: T.epochs, batches });
    const t0 = performance.now();
    const tuner = this.opts.threads ?? null, decided = tuner?.decisions.length ?? 0;
    let total = 0, graphs = 0, lr = sched.lr(), s = -1;
    for (const batch of this.trainLoader) {
      s++;
      tuner?.next();
      const ts = performance.now();
      opt.zeroGrad();
      model.stage(batch, lossArrays(T.loss, batch, nodeLevel)); // the batch and its targets in one upload
      const { out } = model.forward(batch);
      const loss = computeLoss(T.loss, out, batch, nodeLevel);
      const v = loss.item();
      if (!Number.isFinite(v)) throw new DivergedError(epoch, s + 1, v, this.opts.lastGood?.() ?? null);
      loss.backward();
      // Official quirk: clip_grad_norm_ runs before backward() and changes nothing.
      if (T.clip_grad_norm !== null && T.clip_effective) clipGradNorm(params, T.clip_grad_norm);
      lr = sched.lr();
      opt.lr = lr;
      opt.step();
      sched.afterBatch();
      tuner?.record((performance.now() - ts) / 1000, batch.numNodes);
      this.globalStep++;
      total += v * batch.numGraphs;
      graphs += batch.numGraphs;
      this.opts.onEvent?.({ type: 'batch', epoch, step: s + 1, batches, loss: v });
    }
    const epochSeconds = (performance.now() - t0) / 1000;
    sched.afterEpoch();
    const threads = tuner ? tuner.settle() : kernels().getThreads(); // evaluation runs on the count chosen
    for (const d of tuner?.decisions.slice(decided) ?? []) this.opts.onEvent?.({ type: 'threads', decision: d });
    const t1 = performance.now();
    const val = evaluate(model, this.valBatches, this.run);
    const test = evaluate(model, this.testBatches, this.run);
    const evalSeconds = (performance.now() - t1) / 1000;
    const better = (a: number, b: number) => (higherIsBetter(T.metric) ? a > b : a < b);
    const improved = this.best === null || better(val, this.best.val);
    if (improved) this.best = { epoch, val, test };
    this.epoch = epoch;
    const record: EpochRecord = {
      epoch, train_loss: total / graphs, val, test, metric: T.metric, lr, epoch_seconds: epochSeconds, eval_seconds: evalSeconds,
      graphs_per_second: graphs / epochSeconds, peak_rss_mb: this.opts.peakMemoryMb?.() ?? NaN,
      hop: Array.from(model.hop.toHost()), threads,
    };
    return { record, improved };
  }

  /** What a checkpoint's state.json stores of the loop after the last epoch (`metrics` from its record). */
  checkpointState(record: EpochRecord): LoopState {
    return {
      run: this.run, epoch: this.epoch, global_step: this.globalStep, schedule_steps: this.schedule.steps,
      rng: { shuffle: this.trainLoader.getState(), dropout: this.dropRng.getState() },
      metrics: { train_loss: record.train_loss, val: record.val, test: record.test }, best: this.best,
    };
  }
}
