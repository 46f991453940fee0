/**
 * ZINC 12k subset ("Benchmarking GNNs", PyG ZINC(subset=True)) from the staged
 * JSON-lines files ZINC/subset/{train,val,test}.jsonl, one molecule per line:
 *   {"idx", "full_idx", "smiles", "y": target, "atoms": [type id 0..27], "bonds": [[i, j, t], ...]}
 * with each bond once (t = 1 single, 2 double, 3 triple).
 *
 * Graph: nodeCat [n, 1] = atom type (vocabulary 28); both directions of every
 * bond, sorted by (source, target) as PyG's adj.nonzero(); edgeCat [E, 1] =
 * bond type (vocabulary 4, 0 = "no bond" unused); y [1] = the target.
 * Graphs are train, then val, then test; officialSplit gives the three ranges.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../graph/types.js';
import type { GraphDataset } from './dataset.js';
import { DataError } from './errors.js';

export const ZINC_ATOM_TYPES = 28;
export const ZINC_BOND_TYPES = 4;

function subsetDir(root: string): string {
  for (const d of [join(root, 'subset'), root]) if (existsSync(join(d, 'train.jsonl'))) return d;
  throw new DataError(join(root, 'subset', 'train.jsonl'), 0,
    'missing required file; the ZINC folder needs subset/train.jsonl, subset/val.jsonl and subset/test.jsonl');
}

function isInt(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/** Parse one split file into graphs. */
function readPart(file: string): Graph[] {
  if (!existsSync(file)) throw new DataError(file, 0, 'missing required file (ZINC subset part)');
  const text = readFileSync(file, 'utf8');
  const out: Graph[] = [];
  let pos = 0, line = 0;
  while (pos < text.length) {
    line++;
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const s = text.slice(pos, end).trim();
    pos = end + 1;
    if (s === '') {
      if (text.slice(pos).trim() === '') break;
      throw new DataError(file, line, 'empty line; expected one JSON object per line');
    }
    let rec: any;
    try { rec = JSON.parse(s); } catch (e) {
      throw new DataError(file, line, `not valid JSON (${(e as Error).message}); the file may be truncated`);
    }
    const atoms = rec?.atoms, bonds = rec?.bonds, y = rec?.y;
    if (!Array.isArray(atoms) || atoms.length === 0) throw new DataError(file, line, 'expected "atoms": a non-empty array of atom type ids');
    if (!Array.isArray(bonds)) throw new DataError(file, line, 'expected "bonds": an array of [i, j, bond type]');
    if (typeof y !== 'number' || !Number.isFinite(y)) throw new DataError(file, line, 'expected "y": a finite number');
    const n = atoms.length;
    const nodeCat = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!isInt(atoms[i], 0, ZINC_ATOM_TYPES - 1)) throw new DataError(file, line, `atom ${i}: type ${JSON.stringify(atoms[i])}; expected an integer 0..${ZINC_ATOM_TYPES - 1}`);
      nodeCat[i] = atoms[i];
    }
    // Directed edges keyed by src * n + dst, sorted; value = bond type.
    const m = bonds.length;
    const keys = new Float64Array(2 * m);
    const type = new Map<number, number>();
    for (let k = 0; k < m; k++) {
      const b = bonds[k];
      if (!Array.isArray(b) || b.length !== 3 || !isInt(b[0], 0, n - 1) || !isInt(b[1], 0, n - 1) || !isInt(b[2], 1, ZINC_BOND_TYPES - 1) || b[0] === b[1]) {
        throw new DataError(file, line, `bond ${k}: ${JSON.stringify(b)}; expected [i, j, t] with distinct atoms i, j in 0..${n - 1} and t in 1..${ZINC_BOND_TYPES - 1}`);
      }
      keys[2 * k] = b[0] * n + b[1];
      keys[2 * k + 1] = b[1] * n + b[0];
      type.set(b[0] * n + b[1], b[2]);
      type.set(b[1] * n + b[0], b[2]);
    }
    keys.sort();
    let E = 0;
    for (let k = 0; k < keys.length; k++) if (k === 0 || keys[k] !== keys[k - 1]) keys[E++] = keys[k];
    const edgeIndex = new Int32Array(2 * E), edgeCat = new Int32Array(E);
    for (let k = 0; k < E; k++) {
      const key = keys[k];
      edgeIndex[k] = Math.floor(key / n);
      edgeIndex[E + k] = key - edgeIndex[k] * n;
      edgeCat[k] = type.get(key)!;
    }
    out.push({ numNodes: n, edgeIndex, nodeFeat: null, nodeCat, edgeFeat: null, edgeCat, y: Float32Array.of(y), nodeY: null });
  }
  if (out.length === 0) throw new DataError(file, 0, 'empty file: no molecules');
  return out;
}

/** Load the ZINC subset from `root` (containing subset/{train,val,test}.jsonl). */
export function loadZinc(root: string): GraphDataset {
  const dir = subsetDir(root);
  const parts = ['train', 'val', 'test'].map((p) => readPart(join(dir, `${p}.jsonl`)));
  const graphs = parts.flat();
  const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
  const a = parts[0].length, b = a + parts[1].length;
  return {
    name: 'ZINC', graphs, task: 'regression', numClasses: 0, numTasks: 1,
    nodeFeatDim: 0, nodeCatDims: [ZINC_ATOM_TYPES], edgeFeatDim: 0, edgeCatDims: [ZINC_BOND_TYPES],
    metric: 'mae',
    officialSplit: { train: range(0, a), val: range(a, b), test: range(b, graphs.length) },
    nodeFeatNote: 'atom type id (nodeCat, vocabulary 28)',
  };
}
