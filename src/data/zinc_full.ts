/**
 * ZINC-full (250k molecules, the JT-VAE split 220011 / 24445 / 5000 of
 * "Benchmarking GNNs") from the SMILES lists in ZINC/full/, featurised with the
 * ZINC atom-type / bond-type vocabulary of the 12k subset (src/chem/zinc.ts).
 *
 * Targets: the benchmark's target (logP - SA - cycle, standardised) needs the
 * synthetic-accessibility score, which RDKit's wasm build does not provide, so
 * ZINC-full graphs carry y = [NaN] here; only the 12k subset (ZINC/subset/*.jsonl,
 * targets included) is trainable as staged. The subset index files are returned so
 * callers can select the subset from the full lists.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { Graph } from '../graph/types.js';
import type { GraphDataset } from './dataset.js';
import { DataError } from './errors.js';
import { loadRDKit } from '../chem/rdkit.js';
import { zincFeaturiser } from '../chem/zinc.js';

export interface ZincFullOptions {
  /** Read at most this many molecules per split (tests, quick looks). */
  limit?: number;
}

export interface ZincFullDataset extends GraphDataset {
  smiles: string[];
  /** Official subset positions into each full list (train.index, val.index, test.index). */
  subsetIndex: { train: Int32Array; val: Int32Array; test: Int32Array };
}

function readLines(path: string): string[] {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw new DataError(path, 0, `cannot read: ${(e as Error).message}`); }
  if (path.endsWith('.gz')) buf = gunzipSync(buf);
  const lines = buf.toString('utf8').split('\n').map((l) => l.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Read one official index file: a single line of comma-separated 0-based positions. */
export function readZincIndex(path: string, listLength: number): Int32Array {
  const text = readLines(path).join('');
  const out = text.split(',').filter((t) => t.trim() !== '').map((t, k) => {
    const v = Number(t);
    if (!Number.isInteger(v) || v < 0 || v >= listLength) throw new DataError(path, 1, `entry ${k} (${JSON.stringify(t)}) is not a position in 0..${listLength - 1}`);
    return v;
  });
  return Int32Array.from(out);
}

/** Load ZINC-full from `zincDir` (the folder holding full/): train, then val, then test. */
export async function loadZincFull(zincDir: string, opts: ZincFullOptions = {}): Promise<ZincFullDataset> {
  const full = join(zincDir, 'full');
  const lists = { train: readLines(join(full, 'train.txt.gz')), val: readLines(join(full, 'valid.txt')), test: readLines(join(full, 'test.txt')) };
  const files = { train: 'train.txt.gz', val: 'valid.txt', test: 'test.txt' };
  const subsetIndex = {
    train: readZincIndex(join(full, 'train.index'), lists.train.length),
    val: readZincIndex(join(full, 'val.index'), lists.val.length),
    test: readZincIndex(join(full, 'test.index'), lists.test.length),
  };
  const f = zincFeaturiser(await loadRDKit());
  const graphs: Graph[] = [], smiles: string[] = [];
  const ranges: Record<'train' | 'val' | 'test', Int32Array> = { train: new Int32Array(0), val: new Int32Array(0), test: new Int32Array(0) };
  for (const s of ['train', 'val', 'test'] as const) {
    const start = graphs.length;
    const list = lists[s].slice(0, opts.limit ?? Infinity);
    list.forEach((smi, k) => {
      let parts;
      try { parts = f.featurise(smi); } catch (e) { throw new DataError(join(full, files[s]), k + 1, (e as Error).message); }
      graphs.push({ numNodes: parts.numNodes, edgeIndex: parts.edgeIndex, nodeFeat: null, nodeCat: parts.nodeCat,
        edgeFeat: null, edgeCat: parts.edgeCat, y: Float32Array.of(NaN), nodeY: null });
      smiles.push(smi);
    });
    ranges[s] = Int32Array.from({ length: graphs.length - start }, (_, i) => start + i);
  }
  return {
    name: 'ZINC-full', graphs, smiles, subsetIndex,
    task: 'regression', numClasses: 0, numTasks: 1,
    nodeFeatDim: 0, nodeCatDims: f.atomDims, edgeFeatDim: 0, edgeCatDims: f.bondDims,
    metric: 'mae', officialSplit: ranges,
    nodeFeatNote: 'ZINC atom type (28-entry dictionary) from SMILES; targets not available (y = NaN)',
  };
}
