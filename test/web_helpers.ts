/**
 * A tiny ZINC run for the web prediction tests: a 2-layer, 16-channel, 4-head
 * Gradformer trained by the project's trainer for one epoch on 64 ZINC graphs
 * (its weights are arbitrary but fixed, which is all a comparison with
 * `gradformer predict` needs), and SMILES from ZINC's test set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphDataset } from '../src/data/dataset.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { train } from '../src/train/trainer.js';

export const DATASETS = join(import.meta.dirname, '..', '..', 'shared', 'datasets');
export const ZINC = join(DATASETS, 'ZINC');
export const haveZinc = existsSync(ZINC);

/**
 * Trains the tiny ZINC run into `outDir` (config.json, best/, last/). Batch size 4,
 * so ten molecules make three batches, the last one short.
 */
export async function tinyZincRun(outDir: string): Promise<string> {
  const full = await loadDatasetByName('ZINC', DATASETS);
  const sp = full.officialSplit!;
  const pick = [...sp.train.slice(0, 64), ...sp.val.slice(0, 16), ...sp.test.slice(0, 16)];
  const ds: GraphDataset = { ...full, graphs: pick.map((i) => full.graphs[i]),
    officialSplit: { train: Int32Array.from({ length: 64 }, (_, i) => i), val: Int32Array.from({ length: 16 }, (_, i) => 64 + i),
      test: Int32Array.from({ length: 16 }, (_, i) => 80 + i) } };
  const run = buildRunConfig(ds, 'ZINC', { model: { num_layers: 2, channels: 16, nhead: 4, pe_dim: 8 }, train: { epochs: 1, batch_size: 4 } }, 0);
  const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
  train({ run, data: { ds, pre }, outDir });
  return outDir;
}

/** The SMILES of the first `k` molecules of ZINC's test set (subset). */
export function zincTestSmiles(k: number): string[] {
  return readFileSync(join(ZINC, 'subset', 'test.jsonl'), 'utf8').trim().split('\n').slice(0, k).map((l) => JSON.parse(l).smiles as string);
}
