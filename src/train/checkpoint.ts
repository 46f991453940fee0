/**
 * Checkpoints: a folder holding
 *   model.safetensors      the state dict under the official key names (loads into the PyTorch model)
 *   optimizer.safetensors  the optimiser's moment buffers, keys `<param>.<exp_avg|exp_avg_sq|momentum_buffer>`
 *   state.json             run configuration, epoch, steps, schedule, RNG states, optimiser step counts, metrics
 * written into a temporary folder which then replaces the old one, so a crash
 * leaves either the previous checkpoint or the new one, never a mix (killed between
 * the two renames of the swap, the previous one is left as `<dir>.old-<pid>`:
 * recoverCheckpoint puts it back before a run folder is read for resuming).
 * A weights folder (config.json + model.safetensors, what the web page downloads)
 * loads for eval and predict too; it cannot be resumed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readSafetensors, serializeSafetensors, type StoredTensor } from '../io/safetensors.js';
import { loadWeights, stateTensors } from '../models/weights.js';
import type { Module } from '../nn/module.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { RngState } from '../util/rng.js';
import type { OptimizerState } from './optim.js';
import type { RunConfig } from './runconfig.js';
import { UsageError } from './data.js';

export const CHECKPOINT_FORMAT = 'gradformer-checkpoint/1';

export interface EpochMetrics { train_loss: number; val: number; test: number }

/**
 * state.json of a checkpoint folder: what a resume needs besides the weights and
 * the optimiser's moments to continue the run bit for bit.
 */
export interface CheckpointState {
  /** CHECKPOINT_FORMAT; another value is refused. */
  format: string;
  /** The run's configuration. */
  run: RunConfig;
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken. */
  global_step: number;
  /** Scheduler steps taken (LambdaLR's last_epoch). */
  schedule_steps: number;
  /** The batch-shuffling and dropout generators. */
  rng: { shuffle: RngState; dropout: RngState };
  /** The optimiser kind and each parameter's step count (moments: optimizer.safetensors). */
  optimizer: { kind: string; steps: Record<string, number> };
  /** The last epoch's metrics. */
  metrics: EpochMetrics;
  /** The best epoch so far and its metrics (null before the first). */
  best: { epoch: number; val: number; test: number } | null;
}

/** Writes a checkpoint folder atomically (replacing an existing one). */
export function saveCheckpoint(dir: string, model: Module, opt: OptimizerState, state: Omit<CheckpointState, 'format' | 'optimizer'>): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileAtomic(join(tmp, 'model.safetensors'), serializeSafetensors(stateTensors(model), { format: 'pt' }));
  const moments = new Map<string, StoredTensor>();
  for (const [key, bufs] of opt.buffers) {
    for (const [name, a] of bufs) moments.set(`${key}.${name}`, { dtype: 'F32', shape: [a.length], data: a });
  }
  writeFileAtomic(join(tmp, 'optimizer.safetensors'), serializeSafetensors(moments, { kind: opt.kind }));
  const full: CheckpointState = { format: CHECKPOINT_FORMAT, ...state, optimizer: { kind: opt.kind, steps: opt.steps } };
  writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(full, null, 1) + '\n');
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Finishes what an interrupted saveCheckpoint left beside `dir`. Killed between the
 * swap's two renames, `dir` is missing and `dir.old-<pid>` holds the previous
 * checkpoint, whole: it is renamed back (a resume truncates the log to its epoch, so
 * the run goes on bit for bit from there). Killed before or after them, a stale
 * `dir.tmp-<pid>` or `dir.old-<pid>` sits beside a good `dir`: it is removed. Folders
 * of a process still alive (another trainer saving right now) are left alone.
 * Returns what was done, for the caller to report.
 */
export function recoverCheckpoint(dir: string): { restored: string | null; removed: string[] } {
  const parent = dirname(dir), base = basename(dir);
  const done = { restored: null as string | null, removed: [] as string[] };
  if (!existsSync(parent)) return done;
  const pidOf = (f: string) => Number(f.slice(base.length + 5));
  const left = readdirSync(parent).filter((f) => (f.startsWith(`${base}.old-`) || f.startsWith(`${base}.tmp-`)) && !isAlive(pidOf(f)));
  if (left.length === 0) return done;
  if (!existsSync(dir)) {
    const epochOf = (f: string) => {
      try { return readCheckpointState(join(parent, f)).epoch; } catch { return -1; }
    };
    const olds = left.filter((f) => f.startsWith(`${base}.old-`)).map((f) => ({ f, epoch: epochOf(f) })).filter((o) => o.epoch >= 0);
    olds.sort((a, b) => b.epoch - a.epoch);
    if (olds.length > 0) {
      renameSync(join(parent, olds[0].f), dir);
      done.restored = olds[0].f;
      process.stderr.write(`gradformer: ${dir} was missing (a save interrupted mid-swap): restored the previous checkpoint, epoch ${olds[0].epoch}, from ${olds[0].f}\n`);
    }
  }
  for (const f of left) {
    if (f === done.restored) continue;
    rmSync(join(parent, f), { recursive: true, force: true });
    done.removed.push(f);
  }
  return done;
}

/** Whether a process with this pid runs on this machine (ours counts as dead: our own leftovers are stale). */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Finds the checkpoint folder a user names: a checkpoint itself (has state.json),
 * or a run folder (then its best/ checkpoint, or `prefer`).
 */
export function resolveCheckpointDir(path: string, prefer: 'best' | 'last' = 'best'): string {
  if (!existsSync(path)) throw new UsageError(`checkpoint ${path} does not exist; pass a run folder (runs/<name>) or its best/ or last/ folder`);
  if (existsSync(join(path, 'state.json'))) return path;
  for (const sub of [prefer, prefer === 'best' ? 'last' : 'best']) {
    if (existsSync(join(path, sub, 'state.json'))) return join(path, sub);
  }
  if (isWeightsFolder(path)) return path;
  throw new UsageError(`${path} is not a checkpoint: expected state.json and model.safetensors in it or in its best/ or last/ folder, ` +
    'or config.json and model.safetensors (the web page\'s download)');
}

/** A folder with a run's config.json and its model.safetensors but no state.json: the weights the web page downloads. */
export function isWeightsFolder(dir: string): boolean {
  return !existsSync(join(dir, 'state.json')) && existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));
}

/** What a weights folder says of its model: the run configuration and, when its model.safetensors records it, the epoch. */
export interface WeightsFolderState { format: 'weights'; run: RunConfig; epoch: number | null }

/** Reads a weights folder's config.json (checked to be a run configuration) and the epoch in its weights' metadata. */
export function readWeightsFolderState(dir: string): WeightsFolderState {
  const p = join(dir, 'config.json');
  let run: RunConfig;
  try {
    run = JSON.parse(readFileSync(p, 'utf8')) as RunConfig;
  } catch (e) {
    throw new UsageError(`${p}: cannot read the run configuration (${(e as Error).message})`);
  }
  if (typeof run !== 'object' || run === null || typeof run.dataset !== 'string' || typeof run.model !== 'object' || typeof run.train !== 'object' || typeof run.seed !== 'number') {
    throw new UsageError(`${p} is not a gradformer run configuration (expected the config.json of \`gradformer train\` or of the web page, with dataset, model, train and seed)`);
  }
  const epoch = Number(readSafetensors(join(dir, 'model.safetensors')).metadata.epoch);
  return { format: 'weights', run, epoch: Number.isInteger(epoch) && epoch > 0 ? epoch : null };
}

/** Reads state.json of a checkpoint folder. */
export function readCheckpointState(dir: string): CheckpointState {
  const p = join(dir, 'state.json');
  let st: CheckpointState;
  try {
    st = JSON.parse(readFileSync(p, 'utf8')) as CheckpointState;
  } catch (e) {
    throw new UsageError(`${p}: cannot read the checkpoint state (${(e as Error).message})`);
  }
  if (st.format !== CHECKPOINT_FORMAT) throw new UsageError(`${p}: format ${JSON.stringify(st.format)}, expected ${CHECKPOINT_FORMAT}`);
  return st;
}

/** Loads model weights of a checkpoint folder. */
export function loadCheckpointWeights(dir: string, model: Module): void {
  loadWeights(model, join(dir, 'model.safetensors'));
}

/** Reads the optimiser state of a checkpoint folder. */
export function loadOptimizerState(dir: string, st: CheckpointState): OptimizerState {
  const { tensors } = readSafetensors(join(dir, 'optimizer.safetensors'));
  const buffers = new Map<string, Map<string, Float32Array>>();
  for (const [k, t] of tensors) {
    const dot = k.lastIndexOf('.');
    const key = k.slice(0, dot), name = k.slice(dot + 1);
    if (!buffers.has(key)) buffers.set(key, new Map());
    buffers.get(key)!.set(name, Float32Array.from(t.data as Float32Array));
  }
  return { kind: st.optimizer.kind as OptimizerState['kind'], steps: st.optimizer.steps, buffers };
}
