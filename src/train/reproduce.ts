/**
 * Re-checking a recorded run: train again from the run folder's own config.json
 * and compare the new log.jsonl with the recorded one, epoch by epoch, bit for
 * bit, on the fields that do not depend on the machine's speed; then name the
 * environment differences (env.json) that could explain a mismatch.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { preprocessDataset } from '../data/preprocess.js';
import { currentEnvironment, type Env } from '../util/environment.js';
import { loadDatasetByName, UsageError } from './data.js';
import type { RunConfig } from './runconfig.js';
import { readRunLog, type LogEpoch } from './runlog.js';
import { train, type TrainEvent } from './trainer.js';
import { checkKeys } from '../util/options.js';

/** The log fields compared: everything a run determines; not timings or memory. */
export const COMPARED_FIELDS = ['train_loss', 'val', 'test', 'lr', 'hop'] as const;

/** The environment keys shown when they differ: what can change the numbers (not memory size, core count). */
const ENV_KEYS = ['gradformer', 'commit', 'dirty', 'backend', 'threads', 'node', 'cpu'];

/** Datasets whose graphs a featuriser builds from SMILES at load time, and which (src/data/registry.ts). */
const FEATURISED_DATASETS: Record<string, string> = { 'molecule-csv': 'featuriser_ogb', 'ZINC-full': 'featuriser_zinc' };

/** What old env.json files say about the preprocessing versions they did not record. */
export const UNKNOWN_VERSION = 'unknown (recorded before versions existed)';

/** The first difference between two logs: an epoch and a field (hop[h] for one head), with both values. */
export interface LogDifference { epoch: number; field: string; recorded: unknown; reproduced: unknown }

/** One environment key whose recorded value differs from this process's. */
export interface EnvDifference { key: string; recorded: string; now: string }

/** Options of reproduceRun. */
export interface ReproduceOptions {
  /** Folder for the re-run (new or empty); it is written as `gradformer train` writes a run. */
  outDir: string;
  /** Compare only the first N epochs (default: every epoch of the recorded log). */
  epochs?: number;
  /** Where the dataset is (default: the data root the run recorded, else the default search). */
  dataRoot?: string;
  /** The re-run's training progress events. */
  onEvent?: (e: TrainEvent) => void;
}

/**
 * What reproduceRun found: the first difference between the recorded and the new
 * log (null when the compared epochs are identical) and the environment differences
 * that could explain one.
 */
export interface ReproduceResult {
  /** The run's dataset and seed, for messages. */
  run: RunConfig;
  /** Epochs compared (1..epochs). */
  epochs: number;
  /** Epochs in the recorded log. */
  recordedEpochs: number;
  /** Null when identical. */
  difference: LogDifference | null;
  /** The recorded environment keys (env.json) that differ from this process's. */
  environment: EnvDifference[];
}

/** Two logged values, equal bit for bit (numbers through Object.is: NaN equals NaN, 0 differs from -0). */
function same(a: unknown, b: unknown): boolean {
  return typeof a === 'number' && typeof b === 'number' ? Object.is(a, b) : a === b;
}

/**
 * The first epoch and field (in COMPARED_FIELDS order) where `reproduced` differs
 * from `recorded` over epochs 1..epochs; null when identical. A field absent from
 * the recorded line (`hop` in old logs) is not compared.
 */
export function firstLogDifference(recorded: LogEpoch[], reproduced: LogEpoch[], epochs: number): LogDifference | null {
  for (let i = 0; i < epochs; i++) {
    const r = recorded[i] as unknown as Record<string, unknown> | undefined;
    const p = reproduced[i] as unknown as Record<string, unknown> | undefined;
    if (!r || !p) return { epoch: i + 1, field: 'epoch', recorded: r ? r.epoch : 'missing', reproduced: p ? p.epoch : 'missing' };
    for (const f of COMPARED_FIELDS) {
      if (!(f in r)) continue;
      const a = r[f], b = p[f];
      if (Array.isArray(a) && Array.isArray(b)) {
        if (a.length !== b.length) return { epoch: i + 1, field: `${f} length`, recorded: a.length, reproduced: b.length };
        const h = a.findIndex((x, k) => !same(x, b[k]));
        if (h >= 0) return { epoch: i + 1, field: `${f}[${h}]`, recorded: a[h], reproduced: b[h] };
      } else if (!same(a, b)) {
        return { epoch: i + 1, field: f, recorded: a, reproduced: b };
      }
    }
  }
  return null;
}

/**
 * The keys of `recorded` and `now` that differ among those that can change a
 * run's numbers: build (version, commit, uncommitted changes), backend, threads,
 * Node, CPU and the versions of the preprocessing the run used: the distances',
 * `peKind`'s, and the featuriser's for the datasets built from SMILES
 * (FEATURISED_DATASETS; the others are read as graphs).
 * A version the recorded env.json lacks is UNKNOWN_VERSION; another missing key
 * is "not recorded".
 */
export function environmentDifferences(recorded: Env | null, now: Env, peKind: 'rwse' | 'lappe', dataset = ''): EnvDifference[] {
  const keys = [...ENV_KEYS, 'preprocess_spd', `preprocess_${peKind}`];
  if (FEATURISED_DATASETS[dataset]) keys.push(`preprocess_${FEATURISED_DATASETS[dataset]}`);
  const out: EnvDifference[] = [];
  for (const key of keys) {
    if (now[key] === undefined) continue; // nothing to compare with
    const n = String(now[key]);
    const had = recorded !== null && key in recorded;
    const r = had ? String(recorded![key]) : key.startsWith('preprocess_') ? UNKNOWN_VERSION : 'not recorded';
    if (r !== n) out.push({ key, recorded: r, now: n });
  }
  return out;
}

/** Reads a JSON file of a run folder, or fails naming it and what to pass instead. */
function readRunJson(dir: string, name: string, required: boolean): any | null {
  const p = join(dir, name);
  if (!existsSync(p)) {
    if (!required) return null;
    throw new UsageError(`${dir} has no ${name}; pass a run folder written by gradformer train or experiment (it holds config.json and log.jsonl)`);
  }
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new UsageError(`${p} is not valid JSON (${(e as Error).message}); the run folder is damaged`);
  }
}

/**
 * Re-runs the run recorded in `runDir` (its config.json: preset, overrides,
 * seed, split, data root) into `opts.outDir`, for the first `opts.epochs`
 * epochs (the learning-rate schedule is still that of the whole run), and
 * compares the two logs.
 */
export async function reproduceRun(runDir: string, opts: ReproduceOptions): Promise<ReproduceResult> {
  checkKeys('reproduceRun', opts, ['outDir', 'epochs', 'dataRoot', 'onEvent']);
  const run = readRunJson(runDir, 'config.json', true) as RunConfig;
  if (!run || typeof run.dataset !== 'string' || !run.train || !run.model) {
    throw new UsageError(`${join(runDir, 'config.json')} is not a run configuration (no dataset, model or train section)`);
  }
  const recorded = readRunLog(runDir).epochs;
  if (recorded.length === 0) throw new UsageError(`${join(runDir, 'log.jsonl')} records no epoch; there is nothing to reproduce`);
  const epochs = opts.epochs ?? recorded.length;
  if (epochs > recorded.length) {
    throw new UsageError(`--epochs ${epochs}: ${join(runDir, 'log.jsonl')} records only ${recorded.length} epochs; give at most ${recorded.length}`);
  }
  const env = readRunJson(runDir, 'env.json', false) as Env | null;
  if (!opts.dataRoot && run.data_root && !existsSync(run.data_root)) {
    throw new UsageError(`the run read ${run.dataset} from ${run.data_root} (data_root in ${join(runDir, 'config.json')}), which this machine does not have; ` +
      `pass --data-root <dir> with the same ${run.dataset}/ files in it`);
  }
  const ds = await loadDatasetByName(run.dataset, opts.dataRoot ?? run.data_root ?? undefined);
  const pre = await preprocessDataset(ds, { pe: run.train.pe });
  train({ run, data: { ds, pre }, outDir: opts.outDir, untilEpoch: epochs, onEvent: opts.onEvent });
  const reproduced = readRunLog(opts.outDir).epochs;
  return {
    run, epochs, recordedEpochs: recorded.length,
    difference: firstLogDifference(recorded, reproduced, epochs),
    environment: environmentDifferences(env, currentEnvironment(), run.train.pe.kind, run.dataset),
  };
}
