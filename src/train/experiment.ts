/**
 * The paper protocol: N runs of one preset (N seeds, or the k folds of a
 * stratified 10-fold split), each in its own run folder, then a results table
 * (mean +- std of the best-validation-epoch metrics) as Markdown and CSV.
 * std is the population standard deviation (numpy's np.std default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { meanStd } from '../util/stats.js';
import { readCheckpointState } from './checkpoint.js';
import { UsageError } from './data.js';
import { parseLog, runSeconds } from './runlog.js';
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
  /**
   * Reuse the run folders already in outDir: a finished run with the same
   * configuration is taken as it is, an interrupted one continues from its last/
   * checkpoint (bit-for-bit, as `train --resume`). Without it, an outDir that
   * already holds runs is an error, so no result is overwritten by mistake.
   */
  resume?: boolean;
  onEvent?: (run: number, e: TrainEvent) => void;
  /** Called before each run: whether it starts, continues at an epoch, or is reused. */
  onRunStart?: (run: number, how: RunStart) => void;
}

export type RunStart = { kind: 'fresh' } | { kind: 'resumed'; epoch: number } | { kind: 'reused' };

export interface RunResult { run: number; seed: number; fold: number; best_epoch: number; val: number; test: number; seconds: number }

/** val/test: mean +- std over the runs whose metric is finite; n counts those runs. */
export interface ExperimentResult { runs: RunResult[]; metric: string; val: Stat; test: Stat; config: RunConfig }
type Stat = { mean: number; std: number; n: number };

/** What a run folder holds: a finished run, an interrupted one (a last/ checkpoint), or nothing yet. */
type RunFolder =
  | { kind: 'empty' }
  | { kind: 'interrupted'; config: RunConfig; epoch: number }
  | { kind: 'finished'; config: RunConfig; final: { best_epoch: number; val: number; test: number }; seconds: number };

function readRunFolder(dir: string): RunFolder {
  const logPath = join(dir, 'log.jsonl'), statePath = join(dir, 'last', 'state.json');
  const log = existsSync(logPath) ? parseLog(readFileSync(logPath, 'utf8'), logPath) : null;
  if (log?.final && existsSync(join(dir, 'config.json'))) {
    const { best_epoch, val, test } = log.final;
    return { kind: 'finished', config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), final: { best_epoch, val: val ?? NaN, test: test ?? NaN }, seconds: runSeconds(log.epochs) };
  }
  if (existsSync(statePath)) {
    const st = readCheckpointState(join(dir, 'last'));
    return { kind: 'interrupted', config: st.run, epoch: st.epoch };
  }
  return { kind: 'empty' };
}

/** The first setting (dotted path) where a stored run differs from the one asked for, ignoring data_root and, if told, the epochs. */
function firstDifference(stored: unknown, wanted: unknown, path = '', ignoreEpochs = false): string | null {
  if (path === 'data_root' || (ignoreEpochs && path === 'train.epochs')) return null;
  if (stored !== null && wanted !== null && typeof stored === 'object' && typeof wanted === 'object') {
    const keys = new Set([...Object.keys(stored), ...Object.keys(wanted)]);
    for (const k of keys) {
      const d = firstDifference((stored as Record<string, unknown>)[k], (wanted as Record<string, unknown>)[k], path ? `${path}.${k}` : k, ignoreEpochs);
      if (d !== null) return d;
    }
    return null;
  }
  return JSON.stringify(stored) === JSON.stringify(wanted) ? null : `${path}: stored ${JSON.stringify(stored)}, asked ${JSON.stringify(wanted)}`;
}

export function runExperiment(o: ExperimentOptions): ExperimentResult {
  const plans = Array.from({ length: o.runs }, (_, i) => {
    const seed = o.protocol === 'seeds' ? o.seed + i : o.seed;
    const fold = o.protocol === 'kfold' ? i : 0;
    const over: Overrides = { model: o.overrides.model, train: { ...o.overrides.train, ...(o.protocol === 'kfold' ? { split: 'kfold10' as const } : {}) } };
    const dir = join(o.outDir, `run-${i}`);
    return { i, seed, fold, dir, run: buildRunConfig(o.data.ds, o.preset, over, seed, fold, o.dataRoot), folder: readRunFolder(dir) };
  });
  // Check every existing folder before any training: fail fast, never overwrite.
  for (const p of plans) {
    if (p.folder.kind === 'empty') continue;
    const what = p.folder.kind === 'finished' ? 'a finished run' : `a run interrupted after epoch ${p.folder.epoch}`;
    if (!o.resume) {
      throw new UsageError(`experiment: ${p.dir} already holds ${what}; pass --resume to reuse finished runs and continue interrupted ones, or choose another --out`);
    }
    const d = firstDifference(p.folder.config, p.run, '', p.folder.kind === 'interrupted');
    if (d !== null) throw new UsageError(`experiment --resume: ${p.dir} holds ${what} with other settings (${d}); use the same options as before or another --out`);
  }
  const results: RunResult[] = [];
  for (const p of plans) {
    const { i, seed, fold, dir, run, folder } = p;
    if (folder.kind === 'finished') {
      o.onRunStart?.(i, { kind: 'reused' });
      const f = folder.final;
      results.push({ run: i, seed, fold, best_epoch: f.best_epoch, val: f.val, test: f.test, seconds: folder.seconds });
      continue;
    }
    o.onRunStart?.(i, folder.kind === 'interrupted' ? { kind: 'resumed', epoch: folder.epoch } : { kind: 'fresh' });
    const t0 = performance.now();
    const r = train({ run, data: o.data, outDir: dir, resume: folder.kind === 'interrupted', onEvent: (e) => o.onEvent?.(i, e) });
    // A resumed run's time is its log's (the epochs before the interruption included).
    const seconds = folder.kind === 'interrupted' ? runSeconds(r.epochs) : (performance.now() - t0) / 1000;
    results.push({ run: i, seed, fold, best_epoch: r.bestEpoch, val: r.val, test: r.test, seconds });
  }
  const first = plans[0].run;
  const res: ExperimentResult = {
    runs: results, metric: first.train.metric, config: first,
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
    `# ${c.preset === c.dataset ? c.dataset : `preset ${c.preset} on ${c.dataset}`}: ${r.runs.length} runs (${protocol === 'kfold' ? 'stratified 10-fold, fold k = run k' : c.train.split_seed === undefined ? 'one seed per run' : `one model seed per run, one split (split seed ${c.train.split_seed})`})`,
    '',
    `Metric: ${r.metric} at the best validation epoch. Epochs ${c.train.epochs}, split ${protocol === 'kfold' ? 'kfold10' : c.train.split}${c.train.split_seed === undefined ? '' : ` (split seed ${c.train.split_seed} in every run)`}, ` +
    `scheduler ${c.train.scheduler} (stepped per ${c.train.scheduler_step}), grad clip ${c.train.clip_grad_norm ?? 'none'}${c.train.clip_effective ? ' (applied)' : ''}.`,
    '',
    '| run | seed | fold | best epoch | val | test | seconds |',
    '|---|---|---|---|---|---|---|',
    ...r.runs.map((x) => `| ${x.run} | ${x.seed} | ${x.fold} | ${x.best_epoch} | ${f4(x.val)} | ${f4(x.test)} | ${x.seconds.toFixed(1)} |`),
    `| **mean +- std** | | | | **${f4(r.val.mean)} +- ${f4(r.val.std)}** | **${f4(r.test.mean)} +- ${f4(r.test.std)}** | |`,
    '',
    // A diverged run (NaN metric) must not vanish from the mean unannounced.
    ...(r.test.n < r.runs.length || r.val.n < r.runs.length
      ? [`Non-finite metrics: the means are over ${r.val.n} (val) and ${r.test.n} (test) of ${r.runs.length} runs.`, ''] : []),
  ].join('\n');
  const csv = ['run,seed,fold,best_epoch,val,test,seconds',
    ...r.runs.map((x) => [x.run, x.seed, x.fold, x.best_epoch, x.val, x.test, x.seconds.toFixed(3)].join(',')),
    `mean,,,,${r.val.mean},${r.test.mean},`, `std,,,,${r.val.std},${r.test.std},`, ''].join('\n');
  writeFileAtomic(join(dir, 'results.md'), md);
  writeFileAtomic(join(dir, 'results.csv'), csv);
}
