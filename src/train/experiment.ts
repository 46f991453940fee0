/**
 * The paper protocol: N runs of one preset (N seeds, or the k folds of a
 * stratified 10-fold split), each in its own run folder, then a results table
 * (mean +- std of the best-validation-epoch metrics) as Markdown and CSV.
 * std is the population standard deviation (numpy's np.std default).
 * With a grid (src/train/grid.ts) the N runs repeat at every grid point, in
 * `<out>/<point>/run-i`, and the table has one row per point.
 * `planExperiment` and `finishExperiment` are shared with the queue coordinator
 * (src/queue/coordinator.ts), which runs the same plans on remote workers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { meanStd } from '../util/stats.js';
import { readCheckpointState, recoverCheckpoint } from './checkpoint.js';
import { UsageError } from './data.js';
import { parseLog, runSeconds } from './runlog.js';
import { gridPoints, pointFolder, pointOverrides, type GridAxis, type GridPoint } from './grid.js';
import type { Overrides, RunConfig } from './runconfig.js';
import { buildRunConfig } from './runconfig.js';
import { train, type PreparedData, type TrainEvent } from './trainer.js';
import { checkKeys } from '../util/options.js';

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
  /** Swept options (`--grid`): the runs repeat at every point; none = one point. */
  grid?: GridAxis[];
  /**
   * Reuse the run folders already in outDir: a finished run with the same
   * configuration is taken as it is, an interrupted one continues from its last/
   * checkpoint (bit-for-bit, as `train --resume`). Without it, an outDir that
   * already holds runs is an error, so no result is overwritten by mistake.
   */
  resume?: boolean;
  /** `run` is the run's index over the whole experiment (grid points one after another). */
  onEvent?: (run: number, e: TrainEvent) => void;
  /** Called before each run: whether it starts, continues at an epoch, or is reused. */
  onRunStart?: (run: number, how: RunStart) => void;
}

export type RunStart = { kind: 'fresh' } | { kind: 'resumed'; epoch: number } | { kind: 'reused' };

/** `run` counts within its grid point (0..runs-1); `point` is {} without a grid. */
export interface RunResult { run: number; seed: number; fold: number; best_epoch: number; val: number; test: number; seconds: number; point?: GridPoint }

/** val/test: mean +- std over the runs whose metric is finite; n counts those runs. */
export type Stat = { mean: number; std: number; n: number };

/** The runs of one grid point and their mean +- std. */
export interface PointResult { point: GridPoint; runs: RunResult[]; val: Stat; test: Stat }

/**
 * runs, val and test cover every run of the experiment (with a grid: of every
 * point together; `points` has them per point); config is the first run's.
 */
export interface ExperimentResult { runs: RunResult[]; metric: string; val: Stat; test: Stat; config: RunConfig; grid?: GridAxis[]; points?: PointResult[] }

/** What a run folder holds: a finished run, an interrupted one (a last/ checkpoint), or nothing yet. */
export type RunFolder =
  | { kind: 'empty' }
  | { kind: 'interrupted'; config: RunConfig; epoch: number }
  | { kind: 'finished'; config: RunConfig; final: { best_epoch: number; val: number; test: number }; seconds: number };

export function readRunFolder(dir: string): RunFolder {
  recoverCheckpoint(join(dir, 'last'));
  recoverCheckpoint(join(dir, 'best'));
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
export function firstDifference(stored: unknown, wanted: unknown, path = '', ignoreEpochs = false): string | null {
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

/** One run of an experiment: where it goes, its configuration, and what its folder already holds. */
export interface RunPlan {
  /** Index over the whole experiment (points one after another). */
  index: number;
  point: GridPoint;
  /** Index within the point (run-i). */
  i: number;
  seed: number;
  fold: number;
  dir: string;
  run: RunConfig;
  folder: RunFolder;
}

/**
 * The runs of an experiment, with every existing run folder checked before any
 * work: without `resume` a folder holding a run is an error; with it, a run
 * made with other settings is.
 */
export function planExperiment(o: ExperimentOptions): RunPlan[] {
  const plans: RunPlan[] = [];
  for (const point of gridPoints(o.grid ?? [])) {
    const base = pointOverrides(o.overrides, point);
    const over: Overrides = { model: base.model, train: { ...base.train, ...(o.protocol === 'kfold' ? { split: 'kfold10' as const } : {}) } };
    const pointDir = o.grid?.length ? join(o.outDir, pointFolder(point)) : o.outDir;
    for (let i = 0; i < o.runs; i++) {
      const seed = o.protocol === 'seeds' ? o.seed + i : o.seed;
      const fold = o.protocol === 'kfold' ? i : 0;
      const dir = join(pointDir, `run-${i}`);
      plans.push({ index: plans.length, point, i, seed, fold, dir, run: buildRunConfig(o.data.ds, o.preset, over, seed, fold, o.dataRoot), folder: readRunFolder(dir) });
    }
  }
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
  return plans;
}

/** The result of a finished run folder (for a reused run). */
export function finishedResult(p: RunPlan): RunResult {
  if (p.folder.kind !== 'finished') throw new Error(`${p.dir}: not a finished run`);
  const f = p.folder.final;
  return { run: p.i, seed: p.seed, fold: p.fold, best_epoch: f.best_epoch, val: f.val, test: f.test, seconds: p.folder.seconds, point: p.point };
}

/**
 * Runs the paper protocol: `runs` trainings of one preset (seeds seed, seed + 1, ...
 * or the folds of a stratified 10-fold split; at every grid point when there is a
 * grid), each in `<outDir>[/<point>]/run-i`, then writes results.md and results.csv
 * (mean +- std of the metrics at each run's best validation epoch) and returns them.
 * Throws a UsageError when outDir already holds runs and `resume` is off, or holds
 * runs made with other settings.
 */
export function runExperiment(o: ExperimentOptions): ExperimentResult {
  checkKeys('runExperiment', o, ['preset', 'runs', 'protocol', 'seed', 'data', 'overrides', 'outDir', 'dataRoot', 'grid', 'resume', 'onEvent', 'onRunStart']);
  const plans = planExperiment(o);
  const results: RunResult[] = [];
  for (const p of plans) {
    const { index, i, seed, fold, dir, run, folder } = p;
    if (folder.kind === 'finished') {
      o.onRunStart?.(index, { kind: 'reused' });
      results.push(finishedResult(p));
      continue;
    }
    o.onRunStart?.(index, folder.kind === 'interrupted' ? { kind: 'resumed', epoch: folder.epoch } : { kind: 'fresh' });
    const t0 = performance.now();
    const r = train({ run, data: o.data, outDir: dir, resume: folder.kind === 'interrupted', onEvent: (e) => o.onEvent?.(index, e) });
    // A resumed run's time is its log's (the epochs before the interruption included).
    const seconds = folder.kind === 'interrupted' ? runSeconds(r.epochs) : (performance.now() - t0) / 1000;
    results.push({ run: i, seed, fold, best_epoch: r.bestEpoch, val: r.val, test: r.test, seconds, point: p.point });
  }
  return finishExperiment(o, plans, results);
}

/** Gathers the results of all plans (in plan order) into the experiment's table and writes results.md / results.csv. */
export function finishExperiment(o: Pick<ExperimentOptions, 'outDir' | 'protocol' | 'grid'>, plans: RunPlan[], results: RunResult[]): ExperimentResult {
  const first = plans[0].run;
  const grid = o.grid ?? [];
  const points: PointResult[] = gridPoints(grid).map((point) => {
    const runs = results.filter((r) => pointFolder(r.point ?? {}) === pointFolder(point));
    return { point, runs, val: meanStd(runs.map((r) => r.val)), test: meanStd(runs.map((r) => r.test)) };
  });
  const res: ExperimentResult = {
    runs: results, metric: first.train.metric, config: first,
    val: meanStd(results.map((r) => r.val)), test: meanStd(results.map((r) => r.test)),
    ...(grid.length ? { grid, points } : {}),
  };
  writeResults(o.outDir, res, o.protocol);
  return res;
}

const f4 = (x: number) => x.toFixed(4);

/**
 * results.md and results.csv in the experiment folder. With a grid, both start
 * with one column per grid key; results.md has one summary row per point, and
 * results.csv a `mean` and a `std` row after the runs of each point.
 */
export function writeResults(dir: string, r: ExperimentResult, protocol: string): void {
  const c = r.config;
  const keys = (r.grid ?? []).map((a) => a.key);
  const points = r.points ?? [{ point: {}, runs: r.runs, val: r.val, test: r.test }];
  const nRuns = points[0].runs.length;
  const kv = (p: GridPoint | undefined) => keys.map((k) => String(p?.[k] ?? ''));
  const cells = (xs: string[]) => xs.map((x) => ` ${x} |`).join('');
  const meanCell = (s: Stat) => `**${f4(s.mean)} +- ${f4(s.std)}**`;
  const md = [
    `# ${c.preset === c.dataset ? c.dataset : `preset ${c.preset} on ${c.dataset}`}: ${keys.length ? `${points.length} grid points x ` : ''}${nRuns} runs (${protocol === 'kfold' ? 'stratified 10-fold, fold k = run k' : c.train.split_seed === undefined ? 'one seed per run' : `one model seed per run, one split (split seed ${c.train.split_seed})`})`,
    '',
    `Metric: ${r.metric} at the best validation epoch. Epochs ${c.train.epochs}, split ${protocol === 'kfold' ? 'kfold10' : c.train.split}${c.train.split_seed === undefined ? '' : ` (split seed ${c.train.split_seed} in every run)`}, ` +
    `scheduler ${c.train.scheduler} (stepped per ${c.train.scheduler_step}), grad clip ${c.train.clip_grad_norm ?? 'none'}${c.train.clip_effective ? ' (applied)' : ''}.`,
    '',
    ...(keys.length ? [
      `Grid: ${r.grid!.map((a) => `${a.key} = ${a.values.join(', ')}`).join('; ')} (run folders: <point>/run-i).`,
      '',
      `|${cells(keys)} runs | val | test |`,
      `|${keys.map(() => '---|').join('')}---|---|---|`,
      ...points.map((p) => `|${cells(kv(p.point))} ${p.runs.length} | ${meanCell(p.val)} | ${meanCell(p.test)} |`),
      '',
    ] : []),
    `|${cells(keys)} run | seed | fold | best epoch | val | test | seconds |`,
    `|${keys.map(() => '---|').join('')}---|---|---|---|---|---|---|`,
    ...points.flatMap((p) => [
      ...p.runs.map((x) => `|${cells(kv(p.point))} ${x.run} | ${x.seed} | ${x.fold} | ${x.best_epoch} | ${f4(x.val)} | ${f4(x.test)} | ${x.seconds.toFixed(1)} |`),
      `|${cells(kv(p.point))} **mean +- std** | | | | ${meanCell(p.val)} | ${meanCell(p.test)} | |`,
    ]),
    '',
    // A diverged run (NaN metric) must not vanish from the mean unannounced.
    ...points.flatMap((p) => (p.test.n < p.runs.length || p.val.n < p.runs.length
      ? [`Non-finite metrics${keys.length ? ` at ${pointFolder(p.point)}` : ''}: the means are over ${p.val.n} (val) and ${p.test.n} (test) of ${p.runs.length} runs.`, ''] : [])),
  ].join('\n');
  const pre = (p: GridPoint | undefined) => kv(p).map((x) => `${x},`).join('');
  const csv = [`${keys.map((k) => `${k},`).join('')}run,seed,fold,best_epoch,val,test,seconds`,
    ...points.flatMap((p) => [
      ...p.runs.map((x) => pre(p.point) + [x.run, x.seed, x.fold, x.best_epoch, x.val, x.test, x.seconds.toFixed(3)].join(',')),
      `${pre(p.point)}mean,,,,${p.val.mean},${p.test.mean},`, `${pre(p.point)}std,,,,${p.val.std},${p.test.std},`,
    ]), ''].join('\n');
  writeFileAtomic(join(dir, 'results.md'), md);
  writeFileAtomic(join(dir, 'results.csv'), csv);
}
