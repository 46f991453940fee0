/**
 * Tiny real runs for the report tests: MUTAG (bundled), a 2-layer, 16-channel,
 * 4-head Gradformer trained for a few epochs with the project's own trainer,
 * so the report is tested on the files `gradformer train` / `experiment` write.
 */
import { mkdtempSync } from 'node:fs';
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
