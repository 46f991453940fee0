/**
 * The CLI's trainer: the training loop of loop.ts (Node-free, shared with the web
 * page) with a run folder around it, made resumable: config.json, env.json,
 * log.jsonl (one line per epoch, then a final line), best/ and last/
 * checkpoints after every epoch (checkpoint.ts), and `--resume` from last/,
 * which continues bit-for-bit.
 *
 * Splits and batches come from the data layer: datasetSplit (src/data/splits.ts)
 * and GraphLoader (src/data/loader.ts).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gradformer } from '../models/gradformer.js';
import { writeFileAtomic } from '../util/atomic.js';
import { autoThreadTuner } from '../tensor/backend.js';
import type { ThreadTuner } from '../tensor/thread_tuner.js';
import { checkKeys } from '../util/options.js';
import { parseLog } from './runlog.js';
import { currentEnvironment } from '../util/environment.js';
import {
  loadCheckpointWeights, loadOptimizerState, readCheckpointState, recoverCheckpoint, saveCheckpoint, type CheckpointState,
} from './checkpoint.js';
import { TrainingLoop, type EpochRecord, type FinalRecord, type PreparedData, type TrainEvent } from './loop.js';
import type { MetricName } from './metrics.js';
import type { RunConfig } from './runconfig.js';

export {
  DivergedError, buildModel, evaluate, isNodeTask, runSplit, streamSeeds,
  type EpochRecord, type FinalRecord, type PreparedData, type TrainEvent,
} from './loop.js';
export { predict } from './predict.js';

/** Options of train(); an unknown key is an error. */
export interface TrainOptions {
  /** The run's configuration (buildRunConfig); ignored when resuming, which reads the checkpoint's. */
  run: RunConfig;
  /** The dataset and its preprocessing (distances, PE), as loadDatasetByName and preprocessDataset make them. */
  data: PreparedData;
  /** Run folder (config.json, log.jsonl, best/, last/). */
  outDir: string;
  /** Continue from outDir/last (the run configuration comes from the checkpoint). */
  resume?: boolean;
  /** Stop after this epoch without writing the final line (an interruption; for tests and budgets). */
  untilEpoch?: number;
  /** Called with every progress event, synchronously. */
  onEvent?: (e: TrainEvent) => void;
  /** Chooses the thread count as the run goes (default: autoThreadTuner(), i.e. one under `setThreads('auto')`); null: the count set. */
  threads?: ThreadTuner | null;
}

/**
 * What train() returns: the metrics of the best validation epoch, every epoch's log
 * record, and the model as the last epoch left it (the best one is in `<outDir>/best`).
 */
export interface TrainResult {
  /** The epoch (1-based) the selection picked. */
  bestEpoch: number;
  /** Validation metric at bestEpoch. */
  val: number;
  /** Test metric at bestEpoch. */
  test: number;
  /** Which metric val and test are. */
  metric: MetricName;
  /** The log record of every epoch so far (a resumed run's earlier epochs included). */
  epochs: EpochRecord[];
  /** The trained model after its last epoch. */
  model: Gradformer;
  /** Whether all epochs ran (false when stopped by untilEpoch). */
  finished: boolean;
}

const finiteOrNull = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

/** Trains (or resumes) a run; writes the run folder; returns the best epoch and its metrics. */
export function train(opts: TrainOptions): TrainResult {
  checkKeys('train', opts, ['run', 'data', 'outDir', 'resume', 'untilEpoch', 'onEvent', 'threads']);
  const { outDir, data } = opts;
  const lastDir = join(outDir, 'last'), bestDir = join(outDir, 'best'), logPath = join(outDir, 'log.jsonl');
  let st: CheckpointState | null = null;
  let run = opts.run;
  if (opts.resume) {
    recoverCheckpoint(lastDir);
    recoverCheckpoint(bestDir);
    if (!existsSync(join(lastDir, 'state.json'))) {
      throw new Error(`resume: ${lastDir} holds no checkpoint (state.json); pass the run folder of an earlier \`gradformer train\``);
    }
    st = readCheckpointState(lastDir);
    // Only the number of epochs may change on resume (to extend a run).
    run = { ...st.run, train: { ...st.run.train, epochs: Math.max(opts.run.train.epochs, st.epoch) } };
  }
  const T = run.train;
  const loop = new TrainingLoop(run, data, {
    onEvent: opts.onEvent,
    peakMemoryMb: () => process.resourceUsage().maxRSS / 1024,
    lastGood: () => (existsSync(lastDir) ? lastDir : null),
    threads: opts.threads === undefined ? autoThreadTuner() : opts.threads,
  });
  const { model } = loop;
  const records: EpochRecord[] = [];
  mkdirSync(outDir, { recursive: true });
  if (st) {
    loadCheckpointWeights(lastDir, model);
    loop.restore(st, loadOptimizerState(lastDir, st));
    // Keep the log lines of the epochs the checkpoint covers; drop anything later
    // (and a last line torn by the kill that interrupted the run).
    if (existsSync(logPath)) {
      const kept = parseLog(readFileSync(logPath, 'utf8'), logPath).epochs.filter((e) => e.epoch <= st!.epoch) as EpochRecord[];
      records.push(...kept);
      writeFileAtomic(logPath, kept.map((e) => JSON.stringify(e, finiteOrNull) + '\n').join(''));
    }
  } else {
    writeFileSync(logPath, '');
  }
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(run, null, 1) + '\n');
  writeFileAtomic(join(outDir, 'env.json'), JSON.stringify(currentEnvironment(), null, 1) + '\n');

  const lastEpoch = Math.min(T.epochs, opts.untilEpoch ?? T.epochs);
  while (loop.epoch < lastEpoch) {
    const { record, improved } = loop.runEpoch();
    records.push(record);
    appendFileSync(logPath, JSON.stringify(record, finiteOrNull) + '\n');
    const state = loop.checkpointState(record);
    const optState = loop.optimizer.getState();
    if (improved) saveCheckpoint(bestDir, model, optState, state);
    saveCheckpoint(lastDir, model, optState, state);
    opts.onEvent?.({ type: 'epoch_end', record, improved });
  }
  const finished = lastEpoch >= T.epochs;
  const best = loop.best;
  if (!best) throw new Error('train: no epoch ran (epochs must be >= 1)');
  if (finished) {
    const fin: FinalRecord = { final: true, best_epoch: best.epoch, val: best.val, test: best.test, metric: T.metric };
    appendFileSync(logPath, JSON.stringify(fin, finiteOrNull) + '\n');
    opts.onEvent?.({ type: 'final', record: fin });
  }
  return { bestEpoch: best.epoch, val: best.val, test: best.test, metric: T.metric, epochs: records, model, finished };
}
