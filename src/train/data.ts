/**
 * Dataset access for training: find the data folder, load a dataset by name,
 * compute its preprocessing (shortest-path distances + positional encoding),
 * build the split of the protocol, and cut seeded batches.
 *
 * Loading and cached preprocessing go through the data layer (src/data/registry.ts,
 * preprocess.ts); `preprocess` here is the in-memory variant used by tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphDataset, Split } from '../data/dataset.js';
import { loadDataset } from '../data/registry.js';
import { preprocessDataset } from '../data/preprocess.js';
import { collate } from '../graph/batch.js';
import { randomWalkPE } from '../graph/rwse.js';
import { shortestPathDistances } from '../graph/spd.js';
import type { GraphBatch, GraphPre } from '../graph/types.js';
import { Rng } from '../util/rng.js';

export type DatasetKind = 'tu' | 'zinc' | 'ogb' | 'sbm';

export interface DatasetInfo {
  name: string;
  kind: DatasetKind;
  description: string;
  /** Whether the dataset carries categorical edge features (GINE / GatedGCN need them). */
  edgeFeatures: boolean;
  /** Where it can be downloaded from (for `gradformer datasets --download`). */
  url: string;
}

/** Every dataset the tool knows (the ones with an official preset). */
export const DATASETS: DatasetInfo[] = [
  { name: 'MUTAG', kind: 'tu', description: '188 nitro compounds, 2 classes (bundled small default)', edgeFeatures: true,
    url: 'https://www.chrsmrrs.com/graphkerneldatasets/MUTAG.zip' },
  { name: 'PROTEINS', kind: 'tu', description: '1113 proteins, 2 classes', edgeFeatures: false,
    url: 'https://www.chrsmrrs.com/graphkerneldatasets/PROTEINS.zip' },
  { name: 'NCI1', kind: 'tu', description: '4110 chemical compounds, 2 classes', edgeFeatures: false,
    url: 'https://www.chrsmrrs.com/graphkerneldatasets/NCI1.zip' },
  { name: 'IMDB-BINARY', kind: 'tu', description: '1000 ego networks, 2 classes (one-hot degree features)', edgeFeatures: false,
    url: 'https://www.chrsmrrs.com/graphkerneldatasets/IMDB-BINARY.zip' },
  { name: 'COLLAB', kind: 'tu', description: '5000 ego networks, 3 classes (one-hot degree features)', edgeFeatures: false,
    url: 'https://www.chrsmrrs.com/graphkerneldatasets/COLLAB.zip' },
  { name: 'ZINC', kind: 'zinc', description: 'ZINC 12k subset, graph regression (MAE)', edgeFeatures: true,
    url: 'https://www.dropbox.com/s/feo9qle74kg48gy/molecules.zip?dl=1' },
  { name: 'ogbg-molhiv', kind: 'ogb', description: '41127 molecules, HIV activity (ROC-AUC), scaffold split', edgeFeatures: true,
    url: 'http://snap.stanford.edu/ogb/data/graphproppred/csv_mol_download/hiv.zip' },
  { name: 'CLUSTER', kind: 'sbm', description: 'SBM node classification, 6 classes', edgeFeatures: false,
    url: 'https://data.pyg.org/datasets/benchmarking-gnns/CLUSTER_v2.zip' },
  { name: 'PATTERN', kind: 'sbm', description: 'SBM node classification, 2 classes (weighted accuracy)', edgeFeatures: false,
    url: 'https://data.pyg.org/datasets/benchmarking-gnns/PATTERN_v2.zip' },
];

/** The known dataset of that name (case-insensitive); throws listing the accepted names. */
export function datasetInfo(name: string): DatasetInfo {
  const d = DATASETS.find((x) => x.name.toLowerCase() === String(name).toLowerCase());
  if (!d) throw new UsageError(`unknown dataset '${name}'; accepted: ${DATASETS.map((x) => x.name).join(', ')}`);
  return d;
}

/** A user error (bad option, unknown name, impossible combination): the CLI prints it without a stack. */
export class UsageError extends Error {
  constructor(msg: string) { super(msg); this.name = 'UsageError'; }
}

/** The package root (the folder holding gradformer's package.json), from src/ or dist/src/. */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      try { if (JSON.parse(readFileSync(p, 'utf8')).name === 'gradformer') return d; } catch { /* keep walking */ }
    }
    d = dirname(d);
  }
  return process.cwd();
}

/** Candidate data roots, in the order they are searched. */
export function dataRoots(explicit?: string): string[] {
  if (explicit) return [resolve(explicit)];
  const roots: string[] = [];
  if (process.env.GRADFORMER_DATA) roots.push(resolve(process.env.GRADFORMER_DATA));
  const pkg = packageRoot();
  roots.push(join(pkg, 'data'), resolve(pkg, '..', 'shared', 'datasets'));
  return roots;
}

/** The folder of a dataset under the first root that has it, or null. */
export function findDatasetDir(name: string, explicitRoot?: string): string | null {
  for (const r of dataRoots(explicitRoot)) {
    const d = join(r, name);
    if (existsSync(d)) return d;
  }
  return null;
}

/**
 * Loads a known dataset through the data layer's registry: from `dataRoot`
 * when given, else from the first default root holding its folder, else the
 * bundled copy or the download cache (never downloading here). The SBM sets
 * are generated by the registry.
 */
export async function loadDatasetByName(name: string, dataRoot?: string): Promise<GraphDataset> {
  const info = datasetInfo(name);
  try {
    if (info.kind === 'sbm') return await loadDataset(info.name, { download: false });
    const dir = findDatasetDir(info.name, dataRoot);
    if (dir) return await loadDataset(info.name, { root: dirname(dir), download: false });
    return await loadDataset(info.name, { download: false });
  } catch (e) {
    if ((e as Error).name === 'DataError') throw e;
    throw new UsageError(`${(e as Error).message} (searched ${dataRoots(dataRoot).join(', ')}; ` +
      `\`gradformer datasets --download ${info.name}\` fetches it)`);
  }
}

/** As `preprocess`, through the data layer's on-disk cache (SPD + RWSE/LapPE, keyed by graph structure). */
export async function preprocessCached(ds: GraphDataset, pe: { kind: 'rwse' | 'lappe'; dim: number }): Promise<GraphPre[]> {
  return preprocessDataset(ds, { pe });
}

/** Shortest-path distances and RWSE of every graph, in memory (no cache; tests and small sets). */
export function preprocess(ds: GraphDataset, pe: { kind: 'rwse' | 'lappe'; dim: number }): GraphPre[] {
  if (pe.kind !== 'rwse') throw new UsageError(`positional encoding ${pe.kind} is not available in this build; accepted: rwse`);
  return ds.graphs.map((g) => ({
    spd: shortestPathDistances(g.numNodes, g.edgeIndex),
    pe: randomWalkPE(g.numNodes, g.edgeIndex, pe.dim),
  }));
}

export type SplitKind = 'random_80_10_10' | 'official' | 'kfold10';
export const SPLITS: readonly SplitKind[] = ['random_80_10_10', 'official', 'kfold10'];

/**
 * The split of a protocol.
 * - random_80_10_10: the official TU protocol (torch random_split with
 *   int(0.8 n) / int(0.1 n) / rest), one permutation per seed from our generator;
 * - official: the split the dataset ships with;
 * - kfold10: stratified 10-fold (classes dealt round-robin after a seeded shuffle);
 *   fold k is the test set, fold (k+1) mod 10 the validation set, the other 8 train.
 */
export function makeSplit(kind: SplitKind, ds: GraphDataset, seed: number, fold = 0): Split {
  const n = ds.graphs.length;
  if (kind === 'official') {
    if (!ds.officialSplit) throw new UsageError(`dataset ${ds.name} has no official split; accepted splits for it: random_80_10_10, kfold10`);
    return ds.officialSplit;
  }
  const rng = new Rng(seed);
  if (kind === 'random_80_10_10') {
    const perm = rng.permutation(n);
    const a = Math.floor(n * 0.8), b = a + Math.floor(n * 0.1);
    return { train: perm.slice(0, a), val: perm.slice(a, b), test: perm.slice(b) };
  }
  if (kind !== 'kfold10') throw new UsageError(`unknown split '${kind}'; accepted: ${SPLITS.join(', ')}`);
  if (!(Number.isInteger(fold) && fold >= 0 && fold < 10)) throw new UsageError(`fold must be 0..9, got ${fold}`);
  if (ds.task !== 'multi_class') throw new UsageError(`kfold10 is stratified by class and needs a graph classification dataset (${ds.name} is ${ds.task})`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = ds.graphs[i].y[0];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const folds: number[][] = Array.from({ length: 10 }, () => []);
  let k = 0;
  for (const c of [...byClass.keys()].sort((x, y) => x - y)) {
    const idx = rng.shuffle(byClass.get(c)!);
    for (const i of idx) folds[k++ % 10].push(i);
  }
  const v = (fold + 1) % 10;
  const train: number[] = [];
  folds.forEach((f, j) => { if (j !== fold && j !== v) train.push(...f); });
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), val: sorted(folds[v]), test: sorted(folds[fold]) };
}

/** Index lists of consecutive batches of `size` over `idx` (the last one may be smaller). */
export function batchIndices(idx: Int32Array, size: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i < idx.length; i += size) out.push(idx.subarray(i, Math.min(idx.length, i + size)));
  return out;
}

/** One epoch's training batches: the indices shuffled by `rng` (as DataLoader(shuffle=True)), then cut. */
export function shuffledBatches(idx: Int32Array, size: number, rng: Rng): Int32Array[] {
  const order = rng.shuffle(idx.slice());
  return batchIndices(order, size);
}

/** Collated batches of a whole split, in order (evaluation). */
export function evalBatches(ds: GraphDataset, pre: GraphPre[], idx: Int32Array, size: number): GraphBatch[] {
  return batchIndices(idx, size).map((b) => collate(ds.graphs, pre, b));
}
