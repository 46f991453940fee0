/**
 * Loader for the OGB graph-property-prediction raw layout (ogbg-*):
 *   raw/num-node-list.csv.gz, raw/num-edge-list.csv.gz   one count per graph
 *   raw/edge.csv.gz          "src,dst" per bond, 0-based per-graph node ids, each bond once
 *   raw/node-feat.csv.gz     categorical node features, one row per node (optional)
 *   raw/edge-feat.csv.gz     categorical edge features, one row per bond (optional)
 *   raw/graph-label.csv.gz   one row per graph; empty field / nan = missing label
 *   split/<scheme>/{train,valid,test}.csv.gz   0-based graph indices
 *
 * As OGB's read_csv_graph_raw with add_inverse_edge: bond k becomes directed
 * edges 2k (src -> dst) and 2k+1 (dst -> src), both with the bond's features.
 * Molecule sets (ogbg-mol*) use OGB's fixed vocabularies (AtomEncoder /
 * BondEncoder sizes); other sets take max + 1 per column.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Graph, Task } from '../graph/types.js';
import type { GraphDataset, Metric, Split } from './dataset.js';
import { DataError } from './errors.js';
import { parseFloatTable, parseIntTable, type IntTable } from './table.js';
import { checkKeys } from '../util/options.js';

/** OGB get_atom_feature_dims() / get_bond_feature_dims(). */
export const OGB_ATOM_DIMS = [119, 5, 12, 12, 10, 6, 6, 2, 2];
export const OGB_BOND_DIMS = [5, 6, 2];

export interface OgbOptions {
  task?: Task;
  metric?: Metric;
}

function readGz(file: string, required: boolean): Buffer | null {
  if (!existsSync(file)) {
    if (!required) return null;
    throw new DataError(file, 0, 'missing required file of the OGB layout (raw/ and split/ folders)');
  }
  try {
    return gunzipSync(readFileSync(file));
  } catch (e) {
    throw new DataError(file, 0, `cannot decompress (${(e as Error).message}); the file is truncated or not gzip — download it again`);
  }
}

function expectRows(t: { rows: number }, want: number, file: string, what: string): void {
  if (t.rows !== want) {
    throw new DataError(file, Math.min(t.rows, want) + 1, t.rows < want
      ? `file ends after ${t.rows} rows; expected ${want} (${what}) — the file looks truncated`
      : `extra row: expected only ${want} rows (${what})`);
  }
}

function catDims(t: IntTable, fixed: number[] | null, file: string): number[] {
  if (fixed && t.cols !== fixed.length) throw new DataError(file, 1, `expected ${fixed.length} feature columns, found ${t.cols}`);
  const dims = fixed ? fixed.slice() : new Array(t.cols).fill(1);
  for (let r = 0; r < t.rows; r++) {
    for (let c = 0; c < t.cols; c++) {
      const v = t.data[r * t.cols + c];
      if (v < 0 || (fixed && v >= fixed[c])) {
        throw new DataError(file, r + 1, `column ${c + 1} value ${v} is outside the vocabulary 0..${fixed ? fixed[c] - 1 : 'inf'}`);
      }
      if (!fixed && v + 1 > dims[c]) dims[c] = v + 1;
    }
  }
  return dims;
}

/** The split folder: split/scaffold, or the only folder under split/. */
function splitDir(root: string): string {
  const base = join(root, 'split');
  if (existsSync(join(base, 'scaffold'))) return join(base, 'scaffold');
  const subs = existsSync(base) ? readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
  if (subs.length !== 1) throw new DataError(join(base, 'scaffold', 'train.csv.gz'), 0, 'missing required split files (split/<scheme>/{train,valid,test}.csv.gz)');
  return join(base, subs[0].name);
}

/** Largest non-NaN label (class ids of multi-class sets such as ogbg-ppa). */
function maxLabel(ys: Float32Array): number {
  let m = 0;
  for (const v of ys) if (v > m) m = v;
  return m;
}

/** Load an OGB graph-property dataset from `root` (holding raw/ and split/). */
export function loadOgb(root: string, name: string, opts: OgbOptions = {}): GraphDataset {
  checkKeys('OGB options', opts, ['task', 'metric']);
  const raw = join(root, 'raw');
  const f = (p: string) => join(raw, p);
  const nn = parseIntTable(readGz(f('num-node-list.csv.gz'), true)!, f('num-node-list.csv.gz'), { cols: 1, what: 'nodes of the graph' });
  const G = nn.rows;
  if (G === 0) throw new DataError(f('num-node-list.csv.gz'), 0, 'empty file: the dataset has no graphs');
  const ne = parseIntTable(readGz(f('num-edge-list.csv.gz'), true)!, f('num-edge-list.csv.gz'), { cols: 1, what: 'edges of the graph' });
  expectRows(ne, G, f('num-edge-list.csv.gz'), `one per graph; num-node-list has ${G}`);
  const nodePtr = new Float64Array(G + 1), bondPtr = new Float64Array(G + 1);
  for (let g = 0; g < G; g++) {
    if (nn.data[g] < 1) throw new DataError(f('num-node-list.csv.gz'), g + 1, `graph ${g} has ${nn.data[g]} nodes; expected at least 1`);
    if (ne.data[g] < 0) throw new DataError(f('num-edge-list.csv.gz'), g + 1, `negative edge count ${ne.data[g]}`);
    nodePtr[g + 1] = nodePtr[g] + nn.data[g];
    bondPtr[g + 1] = bondPtr[g] + ne.data[g];
  }
  const N = nodePtr[G], B = bondPtr[G];
  const edges = parseIntTable(readGz(f('edge.csv.gz'), true)!, f('edge.csv.gz'), { cols: 2, what: 'src,dst' });
  expectRows(edges, B, f('edge.csv.gz'), `the sum of num-edge-list, ${B}`);
  const mol = name.startsWith('ogbg-mol');
  const nfBuf = readGz(f('node-feat.csv.gz'), false);
  const nf = nfBuf ? parseIntTable(nfBuf, f('node-feat.csv.gz'), { what: 'node features' }) : null;
  if (nf) expectRows(nf, N, f('node-feat.csv.gz'), `one per node; num-node-list sums to ${N}`);
  const efBuf = readGz(f('edge-feat.csv.gz'), false);
  const ef = efBuf ? parseIntTable(efBuf, f('edge-feat.csv.gz'), { what: 'edge features' }) : null;
  if (ef) expectRows(ef, B, f('edge-feat.csv.gz'), `one per bond; num-edge-list sums to ${B}`);
  const lab = parseFloatTable(readGz(f('graph-label.csv.gz'), true)!, f('graph-label.csv.gz'), { allowMissing: true, what: 'graph labels' });
  expectRows(lab, G, f('graph-label.csv.gz'), `one per graph; num-node-list has ${G}`);
  const nodeCatDims = nf ? catDims(nf, mol ? OGB_ATOM_DIMS : null, f('node-feat.csv.gz')) : [];
  const edgeCatDims = ef ? catDims(ef, mol ? OGB_BOND_DIMS : null, f('edge-feat.csv.gz')) : [];

  // Both directions, interleaved as OGB: bond k -> edges 2k (src->dst), 2k+1 (dst->src).
  const ncol = nf ? nf.cols : 0, ecol = ef ? ef.cols : 0, T = lab.cols;
  const edgeIndexAll = new Int32Array(4 * B);
  const edgeCatAll = ef ? new Int32Array(2 * B * ecol) : null;
  const ys = new Float32Array(lab.data);
  const graphs: Graph[] = new Array(G);
  for (let g = 0; g < G; g++) {
    const n = nn.data[g], b0 = bondPtr[g], m = ne.data[g], E = 2 * m;
    const ei = edgeIndexAll.subarray(4 * b0, 4 * b0 + 2 * E);
    for (let k = 0; k < m; k++) {
      const s = edges.data[2 * (b0 + k)], t = edges.data[2 * (b0 + k) + 1];
      if (s < 0 || s >= n || t < 0 || t >= n) {
        throw new DataError(f('edge.csv.gz'), b0 + k + 1, `edge ${s},${t} of graph ${g} points outside its ${n} nodes (0-based ids 0..${n - 1})`);
      }
      ei[2 * k] = s; ei[2 * k + 1] = t;
      ei[E + 2 * k] = t; ei[E + 2 * k + 1] = s;
    }
    let edgeCat: Int32Array | null = null;
    if (edgeCatAll) {
      edgeCat = edgeCatAll.subarray(2 * b0 * ecol, 2 * (b0 + m) * ecol);
      for (let k = 0; k < m; k++) {
        const src = ef!.data.subarray((b0 + k) * ecol, (b0 + k + 1) * ecol);
        edgeCat.set(src, 2 * k * ecol);
        edgeCat.set(src, (2 * k + 1) * ecol);
      }
    }
    graphs[g] = {
      numNodes: n, edgeIndex: ei, nodeFeat: null,
      nodeCat: nf ? nf.data.subarray(nodePtr[g] * ncol, nodePtr[g + 1] * ncol) : null,
      edgeFeat: null, edgeCat, y: ys.subarray(g * T, (g + 1) * T), nodeY: null,
    };
  }

  const sd = splitDir(root);
  const part = (p: string): Int32Array => {
    const file = join(sd, `${p}.csv.gz`);
    const t = parseIntTable(readGz(file, true)!, file, { cols: 1, what: 'graph index' });
    for (let r = 0; r < t.rows; r++) {
      if (t.data[r] < 0 || t.data[r] >= G) throw new DataError(file, r + 1, `graph index ${t.data[r]} is outside 0..${G - 1}`);
    }
    return t.data;
  };
  const officialSplit: Split = { train: part('train'), val: part('valid'), test: part('test') };
  const task = opts.task ?? 'binary_class';
  return {
    name, graphs, task,
    numClasses: task === 'multi_class' ? maxLabel(ys) + 1 : 0,
    numTasks: T,
    nodeFeatDim: 0, nodeCatDims, edgeFeatDim: 0, edgeCatDims,
    metric: opts.metric ?? (task === 'multi_class' ? 'accuracy' : 'rocauc'),
    officialSplit,
    nodeFeatNote: nf ? `${ncol} categorical node columns (nodeCat)` : 'none',
  };
}
