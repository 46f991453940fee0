/**
 * Tiny real runs for the report tests: MUTAG (bundled), a 2-layer, 16-channel,
 * 4-head Gradformer trained for a few epochs with the project's own trainer,
 * so the report is tested on the files `gradformer train` / `experiment` write.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphDataset } from '../src/data/dataset.js';
import type { GraphPre } from '../src/graph/types.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import { loadDatasetByName } from '../src/train/data.js';
import { runExperiment } from '../src/train/experiment.js';
import { buildRunConfig, type Overrides } from '../src/train/runconfig.js';
import { train } from '../src/train/trainer.js';

export const TINY: Overrides = { model: { channels: 16, nhead: 4, num_layers: 2, pe_dim: 8 }, train: { epochs: 3 } };

let cached: { ds: GraphDataset; pre: GraphPre[] } | null = null;

/** MUTAG with the MUTAG preset's preprocessing. */
export async function mutag(): Promise<{ ds: GraphDataset; pre: GraphPre[] }> {
  if (cached) return cached;
  const ds = await loadDatasetByName('MUTAG');
  const pe = buildRunConfig(ds, 'MUTAG', TINY, 0).train.pe;
  cached = { ds, pre: await preprocessDataset(ds, { pe, noCache: true, progress: false }) };
  return cached;
}

/** A fresh temporary folder. */
export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gf-${prefix}-`));
}

/** Trains a tiny MUTAG run into `outDir` (config.json, log.jsonl, best/, last/). */
export async function tinyRun(outDir: string, seed = 1, epochs = 3): Promise<string> {
  const data = await mutag();
  const run = buildRunConfig(data.ds, 'MUTAG', { ...TINY, train: { epochs } }, seed);
  train({ run, data, outDir });
  return outDir;
}

/** Runs `gradformer experiment`'s protocol (seeds) with tiny runs into `outDir`. */
export async function tinyExperiment(outDir: string, runs = 2, epochs = 2): Promise<string> {
  const data = await mutag();
  runExperiment({ preset: 'MUTAG', runs, protocol: 'seeds', seed: 3, data, overrides: { ...TINY, train: { epochs } }, outDir, dataRoot: null });
  return outDir;
}

/** A synthetic experiment folder's settings: depth, decay off (GraphGPS), training fraction, test values. */
export interface Exp { layers: number; gps?: boolean; fraction?: number; tests: number[]; unfinished?: number }

/**
 * Writes a synthetic NCI1 experiment folder <root>/<name>/ (no training, no checkpoints): run k has 3 epochs, its best validation epoch is 2
 * (val 0.9 there, 0.5 and 0.7 elsewhere), test `tests[k]` at epoch 2 and 0.99 at the
 * other epochs (so a wrong epoch would show), then the final line. `unfinished` more
 * runs stop after epoch 2 without a final line.
 */
export function writeExp(root: string, name: string, e: Exp): string {
  const dir = join(root, name);
  const runs = e.tests.length + (e.unfinished ?? 0);
  for (let k = 0; k < runs; k++) {
    const rd = join(dir, `run-${k}`);
    mkdirSync(rd, { recursive: true });
    const model: Record<string, unknown> = { num_layers: e.layers, gamma: 0.6, nhead: 4 };
    if (e.gps) model.decay = false;
    const train: Record<string, unknown> = { metric: 'accuracy', epochs: 3, split: 'random_80_10_10' };
    if (e.fraction !== undefined) train.train_fraction = e.fraction;
    writeFileSync(join(rd, 'config.json'), JSON.stringify({ dataset: 'NCI1', preset: 'NCI1', seed: k, fold: 0, model, train, data_root: null }));
    const t = k < e.tests.length ? e.tests[k] : 0.6;
    const lines = [[1, 0.5, 0.99], [2, 0.9, t], [3, 0.7, 0.99]].slice(0, k < e.tests.length ? 3 : 2)
      .map(([epoch, val, test]) => JSON.stringify({ epoch, train_loss: 0.5, val, test, metric: 'accuracy', lr: 0.001, epoch_seconds: 1, eval_seconds: 0.1 }));
    if (k < e.tests.length) lines.push(JSON.stringify({ final: true, best_epoch: 2, val: 0.9, test: t, metric: 'accuracy' }));
    writeFileSync(join(rd, 'log.jsonl'), lines.join('\n') + '\n');
  }
  return dir;
}
