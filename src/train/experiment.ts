/**
 * The paper protocol: N runs of one preset (N seeds, or the k folds of a
 * stratified 10-fold split), each in its own run folder, then a results table
 * (mean +- std of the best-validation-epoch metrics) as Markdown and CSV.
 * std is the population standard deviation (numpy's np.std default).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { Overrides, RunConfig } from './runconfig.js';
import { buildRunConfig } from './runconfig.js';
import { train, type PreparedData, type TrainEvent } from './trainer.js';

export interface ExperimentOptions {
  preset: string;
  runs: number;
  protocol: 'seeds' | 'kfold';
  /** First seed; run i uses seed + i (seeds) or seed for every fold (kfold). */
  seed: number;
  data: PreparedData;
  overrides: Overrides;
  outDir: string;
  dataRoot: string | null;
  onEvent?: (run: number, e: TrainEvent) => void;
}

export interface RunResult { run: number; seed: number; fold: number; best_epoch: number; val: number; test: number; seconds: number }

export interface ExperimentResult { runs: RunResult[]; metric: string; val: { mean: number; std: number }; test: { mean: number; std: number }; config: RunConfig }

export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std };
}

export function runExperiment(o: ExperimentOptions): ExperimentResult {
  const results: RunResult[] = [];
  let first: RunConfig | null = null;
  for (let i = 0; i < o.runs; i++) {
    const seed = o.protocol === 'seeds' ? o.seed + i : o.seed;
    const fold = o.protocol === 'kfold' ? i : 0;
    const over: Overrides = { model: o.overrides.model, train: { ...o.overrides.train, ...(o.protocol === 'kfold' ? { split: 'kfold10' as const } : {}) } };
    const run = buildRunConfig(o.data.ds, o.preset, over, seed, fold, o.dataRoot);
    first ??= run;
    const t0 = performance.now();
    const r = train({ run, data: o.data, outDir: join(o.outDir, `run-${i}`), onEvent: (e) => o.onEvent?.(i, e) });
    results.push({ run: i, seed, fold, best_epoch: r.bestEpoch, val: r.val, test: r.test, seconds: (performance.now() - t0) / 1000 });
  }
  const res: ExperimentResult = {
    runs: results, metric: first!.train.metric, config: first!,
    val: meanStd(results.map((r) => r.val)), test: meanStd(results.map((r) => r.test)),
  };
  writeResults(o.outDir, res, o.protocol);
  return res;
}

const f4 = (x: number) => x.toFixed(4);

/** results.md and results.csv in the experiment folder. */
export function writeResults(dir: string, r: ExperimentResult, protocol: string): void {
  const c = r.config;
  const md = [
    `# ${c.preset} on ${c.dataset}: ${r.runs.length} runs (${protocol === 'kfold' ? 'stratified 10-fold, fold k = run k' : 'one seed per run'})`,
    '',
    `Metric: ${r.metric} at the best validation epoch. Epochs ${c.train.epochs}, split ${protocol === 'kfold' ? 'kfold10' : c.train.split}, ` +
    `scheduler ${c.train.scheduler} (stepped per ${c.train.scheduler_step}), grad clip ${c.train.clip_grad_norm ?? 'none'}${c.train.clip_effective ? ' (applied)' : ''}.`,
    '',
    '| run | seed | fold | best epoch | val | test | seconds |',
    '|---|---|---|---|---|---|---|',
    ...r.runs.map((x) => `| ${x.run} | ${x.seed} | ${x.fold} | ${x.best_epoch} | ${f4(x.val)} | ${f4(x.test)} | ${x.seconds.toFixed(1)} |`),
    `| **mean +- std** | | | | **${f4(r.val.mean)} +- ${f4(r.val.std)}** | **${f4(r.test.mean)} +- ${f4(r.test.std)}** | |`,
    '',
  ].join('\n');
  const csv = ['run,seed,fold,best_epoch,val,test,seconds',
    ...r.runs.map((x) => [x.run, x.seed, x.fold, x.best_epoch, x.val, x.test, x.seconds.toFixed(3)].join(',')),
    `mean,,,,${r.val.mean},${r.test.mean},`, `std,,,,${r.val.std},${r.test.std},`, ''].join('\n');
  writeFileAtomic(join(dir, 'results.md'), md);
  writeFileAtomic(join(dir, 'results.csv'), csv);
}
