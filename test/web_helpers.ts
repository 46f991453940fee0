/**
 * Tiny molecule runs for the web prediction tests: 2-layer, 16-channel, 4-head
 * Gradformers trained by the project's trainer for one epoch (their weights are
 * arbitrary but fixed, which is all a comparison with `gradformer predict` needs):
 * on 64 ZINC graphs, and as ogbg-molhiv (OGB features, GatedGCN, binary task) on
 * a handful of known molecules; and SMILES from ZINC's test set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OGB_ATOM_DIMS, OGB_BOND_DIMS } from '../src/chem/ogb.js';
import { moleculeGraphs } from '../src/chem/molecules.js';
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

/** Small known molecules (no dataset needed): 24, as 16 train, 4 val, 4 test. */
export const KNOWN_SMILES = ['CCO', 'c1ccccc1', 'CC(=O)Oc1ccccc1C(=O)O', 'Cn1cnc2c1c(=O)n(C)c(=O)n2C', 'CC(C)Cc1ccc(cc1)C(C)C(=O)O',
  'c1ccc2ncccc2c1', 'OC(=O)CCc1ccccc1', 'CCN(CC)CC', 'C1CCCCC1', 'NC(=O)c1ccccc1', 'CC(=O)Nc1ccc(O)cc1', 'COc1ccccc1', 'Clc1ccccc1',
  'CCOC(C)=O', 'NCCc1ccccc1', 'c1ccncc1', 'OCC(O)CO', 'CC(C)O', 'NS(=O)(=O)c1ccccc1', 'FC(F)(F)c1ccccc1', 'CC#N', 'O=C1CCCCC1',
  'c1cc[nH]c1', 'CC(=O)O'];

/**
 * Trains a tiny run of the ogbg-molhiv preset (OGB atom and bond features through
 * the OGB encoders, GatedGCN, binary task) on KNOWN_SMILES with alternating labels
 * into `outDir`. Batch size 4.
 */
export async function tinyMolhivRun(outDir: string): Promise<string> {
  const graphs = (await moleculeGraphs(KNOWN_SMILES, 'ogbg-molhiv')).map((g, i) => ({ ...g, y: Float32Array.of(i % 2) }));
  const ds: GraphDataset = { name: 'ogbg-molhiv', graphs, task: 'binary_class', numClasses: 0, numTasks: 1, nodeFeatDim: 0,
    nodeCatDims: [...OGB_ATOM_DIMS], edgeFeatDim: 0, edgeCatDims: [...OGB_BOND_DIMS], metric: 'rocauc',
    officialSplit: { train: Int32Array.from({ length: 16 }, (_, i) => i), val: Int32Array.from({ length: 4 }, (_, i) => 16 + i),
      test: Int32Array.from({ length: 4 }, (_, i) => 20 + i) } };
  const run = buildRunConfig(ds, 'ogbg-molhiv', { model: { num_layers: 2, channels: 16, nhead: 4, pe_dim: 8 }, train: { epochs: 1, batch_size: 4 } }, 0);
  const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
  train({ run, data: { ds, pre }, outDir });
  return outDir;
}
