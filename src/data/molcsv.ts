/**
 * Molecule tables (MoleculeNet-style CSV: a SMILES column and target columns)
 * -> GraphDataset, featurised by a pluggable Featuriser (OGB 9+3 by default).
 */
import { readFileSync } from 'node:fs';
import type { Graph } from '../graph/types.js';
import type { GraphDataset, Split } from './dataset.js';
import { DataError } from './errors.js';
import { parseCsv } from './smiles.js';
import type { Featuriser } from '../chem/featuriser.js';
import { loadRDKit } from '../chem/rdkit.js';
import { ogbFeaturiser } from '../chem/ogb.js';
import { murckoScaffold, scaffoldSplit } from '../chem/scaffold.js';
import { Rng } from '../util/rng.js';
import { checkKeys } from '../util/options.js';

/** Options of loadMoleculeCsv; an unknown key is an error. */
export interface MoleculeCsvOptions {
  /** Header of the SMILES column (default 'smiles'). */
  smilesColumn?: string;
  /**
   * Headers of the target columns (at least one): 0/1 values (empty = missing) make a
   * binary_class dataset scored by ROC-AUC, any other numbers a regression scored by MAE.
   */
  targetColumns: string[];
  /** 'random' / 'scaffold' (80/10/10), or a column whose values are train / valid|val / test. */
  split: 'random' | 'scaffold' | { column: string };
  /** Seed of the 'random' split (default 0). */
  seed?: number;
  /** Defaults to the OGB featuriser. */
  featuriser?: Featuriser;
  /** Skip rows whose SMILES RDKit rejects (counted in `skipped`) instead of failing. Default false. */
  skipInvalid?: boolean;
  /** Dataset name for reports (default: the file path). */
  name?: string;
}

/** A dataset read from a CSV of SMILES: a GraphDataset with each graph's SMILES and the rows skipped. */
export interface MoleculeCsvDataset extends GraphDataset {
  /** SMILES of each graph. */
  smiles: string[];
  /** File lines (1-based) of rows skipped with skipInvalid, and why. */
  skipped: { line: number; smiles: string; error: string }[];
}

/** Load a molecule CSV. Binary 0/1 targets (empty cell = missing, NaN) -> binary_class; anything else regression. */
export async function loadMoleculeCsv(path: string, opts: MoleculeCsvOptions): Promise<MoleculeCsvDataset> {
  checkKeys('loadMoleculeCsv', opts, ['smilesColumn', 'targetColumns', 'split', 'seed', 'featuriser', 'skipInvalid', 'name']);
  if (!Array.isArray(opts.targetColumns) || opts.targetColumns.length === 0) {
    throw new Error(`loadMoleculeCsv: targetColumns must name the target column(s), e.g. ['y'], got ${JSON.stringify(opts.targetColumns)}`);
  }
  const splitOk = opts.split === 'random' || opts.split === 'scaffold' || (typeof opts.split === 'object' && opts.split !== null && typeof opts.split.column === 'string');
  if (!splitOk) throw new Error(`loadMoleculeCsv: split must be 'random', 'scaffold' or { column: NAME }, got ${JSON.stringify(opts.split)}`);
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new DataError(path, 0, `cannot read: ${(e as Error).message}`); }
  const table = parseCsv(text, path);
  const col = (name: string): number => {
    const c = table.header.indexOf(name);
    if (c < 0) throw new DataError(path, 1, `no column '${name}' (header: ${table.header.join(', ')})`);
    return c;
  };
  const sCol = col(opts.smilesColumn ?? 'smiles');
  const tCols = opts.targetColumns.map(col);
  const rd = await loadRDKit();
  const feat = opts.featuriser ?? ogbFeaturiser(rd);

  const graphs: Graph[] = [], smiles: string[] = [], rowOf: number[] = [];
  const skipped: MoleculeCsvDataset['skipped'] = [];
  let binary = true;
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r], line = table.lines[r], smi = row[sCol].trim();
    let parts;
    try { parts = feat.featurise(smi); } catch (e) {
      if (opts.skipInvalid) { skipped.push({ line, smiles: smi, error: (e as Error).message }); continue; }
      throw new DataError(path, line, `${(e as Error).message} (pass skipInvalid to skip such rows)`);
    }
    const y = new Float32Array(tCols.length);
    tCols.forEach((c, k) => {
      const v = row[c].trim();
      if (v === '' || v.toLowerCase() === 'nan') { y[k] = NaN; return; }
      const x = Number(v);
      if (!Number.isFinite(x)) throw new DataError(path, line, `target '${opts.targetColumns[k]}' is not a number: ${JSON.stringify(v)}`);
      if (x !== 0 && x !== 1) binary = false;
      y[k] = x;
    });
    graphs.push({ numNodes: parts.numNodes, edgeIndex: parts.edgeIndex, nodeFeat: null, nodeCat: parts.nodeCat,
      edgeFeat: null, edgeCat: parts.edgeCat, y, nodeY: null });
    smiles.push(smi); rowOf.push(r);
  }
  if (!graphs.length) throw new DataError(path, 0, 'no molecule could be read');

  let split: Split;
  const N = graphs.length;
  if (opts.split === 'scaffold') {
    split = scaffoldSplit(smiles.map((s) => murckoScaffold(rd, s) ?? ''));
  } else if (opts.split === 'random') {
    const perm = new Rng(opts.seed ?? 0).permutation(N);
    const a = Math.floor(0.8 * N), b = Math.floor(0.9 * N);
    const sorted = (x: Int32Array) => x.slice().sort();
    split = { train: sorted(perm.subarray(0, a)), val: sorted(perm.subarray(a, b)), test: sorted(perm.subarray(b)) };
  } else {
    const byColumn = opts.split;
    const c = col(byColumn.column);
    const parts: Record<'train' | 'val' | 'test', number[]> = { train: [], val: [], test: [] };
    rowOf.forEach((r, g) => {
      const v = table.rows[r][c].trim().toLowerCase();
      const key = v === 'train' ? 'train' : v === 'valid' || v === 'val' ? 'val' : v === 'test' ? 'test' : null;
      if (!key) throw new DataError(path, table.lines[r], `split column '${byColumn.column}' must be train, valid/val or test, got ${JSON.stringify(v)}`);
      parts[key].push(g);
    });
    split = { train: Int32Array.from(parts.train), val: Int32Array.from(parts.val), test: Int32Array.from(parts.test) };
  }
  return {
    name: opts.name ?? path, graphs, smiles, skipped,
    task: binary ? 'binary_class' : 'regression',
    numClasses: 0, numTasks: tCols.length,
    nodeFeatDim: 0, nodeCatDims: feat.atomDims, edgeFeatDim: 0, edgeCatDims: feat.bondDims,
    metric: binary ? 'rocauc' : 'mae',
    officialSplit: split,
    nodeFeatNote: `${feat.name} atom features from SMILES (RDKit)`,
  };
}
