/**
 * A training run of the Train tab, as `gradformer train` makes it: the dataset's
 * own preset (TU datasets with one: MUTAG, NCI1, PROTEINS, ...) or the generic TU
 * preset, with epochs, seed and layers overridden, the same preprocessing, and
 * the CLI's training loop (src/train/loop.ts). So the per-epoch losses equal the
 * CLI's for the same seed, settings and kernels. Node-free (runs in the worker).
 */
import type { GraphDataset } from '../../../data/dataset.js';
import { makePeFunction, preprocessMany } from '../../../data/pre_compute.js';
import { serializeSafetensors } from '../../../io/safetensors_format.js';
import { GENERIC_TU, PRESETS } from '../../../models/presets.js';
import { stateTensors } from '../../../models/state.js';
import { TrainingLoop, type EpochRecord } from '../../../train/loop.js';
import { buildRunConfig, type RunConfig } from '../../../train/runconfig.js';

export interface RunSettings { epochs: number; seed: number; layers: number }

/**
 * The preset `gradformer train --dataset NAME` picks for a TU dataset: its own
 * when it has one (a TU preset: own split protocol, not 'official'), else the generic TU.
 */
export function presetFor(name: string): string {
  const key = Object.keys(PRESETS).find((k) => k.toLowerCase() === name.toLowerCase());
  return key !== undefined && PRESETS[key].train.split !== 'official' ? key : GENERIC_TU;
}

/** The run configuration of `gradformer train --dataset NAME --epochs E --seed S --layers L` (no --data-root). */
export function runConfigFor(ds: GraphDataset, s: RunSettings): RunConfig {
  return buildRunConfig(ds, presetFor(ds.name), { model: { num_layers: s.layers }, train: { epochs: s.epochs } }, s.seed, 0, null);
}

/** What a run reports as it goes (the worker posts each to the page). */
export interface RunHooks {
  prepared(info: { run: RunConfig; split: [number, number, number]; preprocessSeconds: number }): void;
  epoch(record: EpochRecord, improved: boolean): void;
  /** The best epoch's weights as model.safetensors bytes (metadata: the epoch), after each improvement. */
  best(epoch: number, weights: Uint8Array): void;
}

/** Preprocesses `ds` and trains the run; returns the best epoch and its metrics. */
export async function trainRun(ds: GraphDataset, run: RunConfig, hooks: RunHooks): Promise<{ bestEpoch: number; val: number; test: number }> {
  const t0 = performance.now();
  const pe = run.train.pe;
  const pre = preprocessMany(ds.graphs, await makePeFunction(pe), pe.dim);
  const loop = new TrainingLoop(run, { ds, pre });
  hooks.prepared({ run, split: [loop.split.train.length, loop.split.val.length, loop.split.test.length], preprocessSeconds: (performance.now() - t0) / 1000 });
  while (loop.epoch < run.train.epochs) {
    const { record, improved } = loop.runEpoch();
    hooks.epoch(record, improved);
    // The checkpoint's model.safetensors as the CLI writes it (format pt), with the epoch it holds.
    if (improved) hooks.best(record.epoch, serializeSafetensors(stateTensors(loop.model), { format: 'pt', epoch: String(record.epoch) }));
    // No need to let the event loop turn between epochs: the wasm device frees what a
    // step puts in its heap explicitly, not by finalizers (docs/WEB.md, Lifetimes).
  }
  const best = loop.best!;
  return { bestEpoch: best.epoch, val: best.val, test: best.test };
}
