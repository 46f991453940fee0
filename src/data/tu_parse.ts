/**
 * Parser for the TU graph-kernel text format (any dataset of that format), Node-free:
 * the files come from a TUSource (tu.ts reads them from a folder):
 *   NAME_A.txt               one "i, j" pair per line, 1-based global node ids (required)
 *   NAME_graph_indicator.txt line i = 1-based graph id of node i (required)
 *   NAME_graph_labels.txt    line g = class of graph g (required, or NAME_graph_attributes.txt for regression)
 *   NAME_node_labels.txt / NAME_node_attributes.txt   one row per node (optional)
 *   NAME_edge_labels.txt / NAME_edge_attributes.txt   one row per line of NAME_A.txt (optional)
 *
 * Semantics follow PyG's TUDataset as used by the official Gradformer code:
 * - node/edge labels: per column, value - min, one-hot of width max - min + 1
 *   (nodeCat/edgeCat hold the shifted id); node attributes come first in
 *   nodeFeat and are used only with useNodeAttr (PyG default: off), likewise
 *   edge attributes with useEdgeAttr;
 * - self loops are removed, repeated pairs are merged (the first occurrence's
 *   labels kept), edges are sorted by (source, target) inside each graph; an
 *   edge given in one direction only stays one-directional;
 * - graph classes are the sorted distinct label values mapped to 0..C-1;
 * - datasets without node features get one-hot out-degree (width max degree + 1)
 *   when the max degree is < 1000, else one column (deg - mean) / std
 *   (std with n - 1), as the official load_tudataset.
 */
import type { Graph } from '../graph/types.js';
import type { GraphDataset } from './dataset.js';
import { DataError } from './errors.js';
import { checkKeys } from '../util/options.js';
import { parseFloatTable, parseIntTable, type FloatTable, type IntTable } from './table.js';

export interface TUOptions {
  /** Include NAME_node_attributes.txt in nodeFeat (before the one-hot labels). Default false, as PyG/official. */
  useNodeAttr?: boolean;
  /** Include NAME_edge_attributes.txt in edgeFeat (before the one-hot labels). Default false, as PyG/official. */
  useEdgeAttr?: boolean;
}

/**
 * Where the files of a TU dataset come from: a folder (tu.ts), or the members of
 * a zip the web page was given. `find` gives the name errors use for
 * NAME_<part>.txt (its path), or null when there is none; `read` its bytes.
 */
export interface TUSource {
  find(part: string): string | null;
  read(file: string): Uint8Array;
  /** The name to report for a required file that is missing. */
  missing(part: string): string;
}

function readRows(src: TUSource, file: string, rowsWanted: number, rowsWhat: string, parse: 'int' | 'float', what: string): IntTable | FloatTable {
  const buf = src.read(file);
  const t = parse === 'int' ? parseIntTable(buf, file, { what }) : parseFloatTable(buf, file, { what });
  if (t.rows !== rowsWanted) {
    const line = t.rows < rowsWanted ? t.rows + 1 : rowsWanted + 1;
    throw new DataError(file, line, t.rows < rowsWanted
      ? `file ends after ${t.rows} lines; expected ${rowsWanted} (${rowsWhat}) — the file looks truncated`
      : `extra line: expected only ${rowsWanted} lines (${rowsWhat}), found ${t.rows}`);
  }
  return t;
}

/** Per-column shift (min) and width (max - min + 1) of an integer label table. */
function labelColumns(t: IntTable): { min: number[]; width: number[] } {
  const min: number[] = [], width: number[] = [];
  for (let c = 0; c < t.cols; c++) {
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < t.rows; r++) { const v = t.data[r * t.cols + c]; if (v < lo) lo = v; if (v > hi) hi = v; }
    if (t.rows === 0) { lo = 0; hi = -1; }
    min.push(lo); width.push(hi - lo + 1);
  }
  return { min, width };
}

/** Parses the TU dataset `name` from the files `src` finds (errors name the file and line). */
export function parseTU(src: TUSource, name: string, opts: TUOptions = {}): GraphDataset {
  checkKeys('TU options', opts, ['useNodeAttr', 'useEdgeAttr']);
  const need = (part: string): string => {
    const f = src.find(part);
    if (!f) {
      throw new DataError(src.missing(part), 0,
        `missing required file; a TU dataset folder needs ${name}_A.txt, ${name}_graph_indicator.txt and ${name}_graph_labels.txt`);
    }
    return f;
  };
  const fA = need('A'), fInd = need('graph_indicator');
  const fLab = src.find('graph_labels'), fGAttr = src.find('graph_attributes');
  if (!fLab && !fGAttr) need('graph_labels'); // throws the "missing" error

  // --- nodes -> graphs
  const ind = parseIntTable(src.read(fInd), fInd, { cols: 1, what: 'graph id of the node' }).data;
  const N = ind.length;
  if (N === 0) throw new DataError(fInd, 0, 'empty file: the dataset has no nodes');
  if (ind[0] !== 1) throw new DataError(fInd, 1, `first graph id is ${ind[0]}; expected 1 (graph ids are 1-based and every graph has at least one node)`);
  for (let i = 1; i < N; i++) {
    const d = ind[i] - ind[i - 1];
    if (d !== 0 && d !== 1) {
      throw new DataError(fInd, i + 1, `graph id ${ind[i]} follows ${ind[i - 1]}; expected ${ind[i - 1]} or ${ind[i - 1] + 1} (nodes of a graph are contiguous, ids without gaps)`);
    }
  }
  const G = ind[N - 1];
  const nodePtr = new Int32Array(G + 1);
  for (let i = 0; i < N; i++) nodePtr[ind[i]]++;
  for (let g = 0; g < G; g++) nodePtr[g + 1] += nodePtr[g];
  const graphWhat = `one per graph; ${fInd} names ${G} graphs`;

  // --- graph targets
  let ys: Float32Array, numClasses = 0, numTasks = 1, classLabels: string[] | undefined;
  if (fLab) {
    const lab = readRows(src, fLab, G, graphWhat, 'int', 'class label') as IntTable;
    if (lab.cols !== 1) throw new DataError(fLab, 1, `expected one label per line, found ${lab.cols}`);
    const values = Array.from(new Set(lab.data)).sort((a, b) => a - b);
    const id = new Map(values.map((v, k) => [v, k]));
    ys = new Float32Array(G);
    for (let g = 0; g < G; g++) ys[g] = id.get(lab.data[g])!;
    numClasses = values.length;
    classLabels = values.map(String);
  } else {
    const at = readRows(src, fGAttr!, G, graphWhat, 'float', 'graph target') as FloatTable;
    ys = Float32Array.from(at.data);
    numTasks = at.cols;
  }

  // --- edges
  const A = parseIntTable(src.read(fA), fA, { cols: 2, what: 'node id pair "i, j"' });
  const Eraw = A.rows;
  for (let e = 0; e < Eraw; e++) {
    for (let s = 0; s < 2; s++) {
      const v = A.data[2 * e + s];
      if (v < 1) throw new DataError(fA, e + 1, `node id ${v} < 1; node ids are 1-based`);
      if (v > N) throw new DataError(fA, e + 1, `node id ${v} is past the last node ${N} (${fInd} has ${N} lines)`);
    }
    const a = A.data[2 * e] - 1, b = A.data[2 * e + 1] - 1;
    if (ind[a] !== ind[b]) throw new DataError(fA, e + 1, `edge joins node ${a + 1} (graph ${ind[a]}) and node ${b + 1} (graph ${ind[b]}); edges must stay inside one graph`);
  }
  const edgeWhat = `one per line of ${fA}, ${Eraw} lines`;
  const nodeWhat = `one per node; ${fInd} has ${N} lines`;
  const optRows = (part: string, rows: number, what: string, kind: 'int' | 'float') => {
    const f = src.find(part);
    return f ? readRows(src, f, rows, what, kind, part.replace('_', ' ')) : null;
  };
  const nodeLab = optRows('node_labels', N, nodeWhat, 'int') as IntTable | null;
  const nodeAttr = opts.useNodeAttr ? optRows('node_attributes', N, nodeWhat, 'float') as FloatTable | null : null;
  const edgeLab = optRows('edge_labels', Eraw, edgeWhat, 'int') as IntTable | null;
  const edgeAttr = opts.useEdgeAttr ? optRows('edge_attributes', Eraw, edgeWhat, 'float') as FloatTable | null : null;

  // --- bucket edges per graph, drop self loops, sort by (src, tgt), merge repeats (first wins)
  const ecount = new Int32Array(G + 1);
  for (let e = 0; e < Eraw; e++) if (A.data[2 * e] !== A.data[2 * e + 1]) ecount[ind[A.data[2 * e] - 1]]++;
  for (let g = 0; g < G; g++) ecount[g + 1] += ecount[g];
  const bucket = new Int32Array(ecount[G]);
  const fill = ecount.slice(0, G);
  for (let e = 0; e < Eraw; e++) if (A.data[2 * e] !== A.data[2 * e + 1]) bucket[fill[ind[A.data[2 * e] - 1] - 1]++] = e;
  const kept = new Int32Array(bucket.length); // original line of each kept edge, graph by graph
  const edgePtr = new Int32Array(G + 1);
  let nk = 0;
  for (let g = 0; g < G; g++) {
    const lo = ecount[g], hi = ecount[g + 1], m = hi - lo, base = nodePtr[g];
    const n = nodePtr[g + 1] - base;
    const keys = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const e = bucket[lo + k];
      keys[k] = ((A.data[2 * e] - 1 - base) * n + (A.data[2 * e + 1] - 1 - base)) * m + k; // stable: original order breaks ties
    }
    keys.sort();
    let prev = -1;
    for (let k = 0; k < m; k++) {
      const pair = Math.floor(keys[k] / m);
      if (pair === prev) continue;
      prev = pair;
      kept[nk++] = bucket[lo + (keys[k] - pair * m)];
    }
    edgePtr[g + 1] = nk;
  }
  const E = nk;
  const edgeIndexAll = new Int32Array(2 * E);
  for (let g = 0; g < G; g++) {
    const lo = edgePtr[g], m = edgePtr[g + 1] - lo, base = nodePtr[g] + 1;
    for (let k = 0; k < m; k++) {
      const e = kept[lo + k];
      edgeIndexAll[2 * lo + k] = A.data[2 * e] - base;
      edgeIndexAll[2 * lo + m + k] = A.data[2 * e + 1] - base;
    }
  }

  // --- node features
  let nodeFeatDim = 0, nodeFeatAll: Float32Array | null = null, nodeCatAll: Int32Array | null = null;
  let nodeCatDims: number[] = [], nodeFeatNote = '';
  const nAttr = nodeAttr ? nodeAttr.cols : 0;
  const nl = nodeLab ? labelColumns(nodeLab) : null;
  const nLab = nl ? nl.width.reduce((a, b) => a + b, 0) : 0;
  if (nAttr + nLab > 0) {
    nodeFeatDim = nAttr + nLab;
    nodeFeatAll = new Float32Array(N * nodeFeatDim);
    for (let i = 0; i < N; i++) {
      const o = i * nodeFeatDim;
      for (let c = 0; c < nAttr; c++) nodeFeatAll[o + c] = nodeAttr!.data[i * nAttr + c];
      let off = nAttr;
      for (let c = 0; nl && c < nl.min.length; c++) {
        nodeFeatAll[o + off + nodeLab!.data[i * nodeLab!.cols + c] - nl.min[c]] = 1;
        off += nl.width[c];
      }
    }
    if (nodeLab && nl) {
      nodeCatAll = new Int32Array(N * nodeLab.cols);
      for (let i = 0; i < N * nodeLab.cols; i++) nodeCatAll[i] = nodeLab.data[i] - nl.min[i % nodeLab.cols];
      nodeCatDims = nl.width.slice();
    }
    nodeFeatNote = [nAttr ? `${nAttr} node attribute column(s)` : '', nLab ? `one-hot node labels (${nl!.width.join('+')})` : ''].filter(Boolean).join(' + ');
  } else {
    // Degree features, as the official load_tudataset for datasets without x.
    const deg = new Int32Array(N);
    for (let g = 0; g < G; g++) {
      const lo = edgePtr[g], m = edgePtr[g + 1] - lo;
      for (let k = 0; k < m; k++) deg[nodePtr[g] + edgeIndexAll[2 * lo + k]]++;
    }
    let maxDeg = 0;
    for (let i = 0; i < N; i++) if (deg[i] > maxDeg) maxDeg = deg[i];
    if (maxDeg < 1000) {
      nodeFeatDim = maxDeg + 1;
      nodeFeatAll = new Float32Array(N * nodeFeatDim);
      for (let i = 0; i < N; i++) nodeFeatAll[i * nodeFeatDim + deg[i]] = 1;
      nodeFeatNote = `one-hot out-degree (max degree ${maxDeg}, width ${maxDeg + 1})`;
    } else {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += deg[i];
      const mean = sum / N;
      let ss = 0;
      for (let i = 0; i < N; i++) ss += (deg[i] - mean) ** 2;
      const std = Math.sqrt(ss / Math.max(N - 1, 1)) || 1;
      nodeFeatDim = 1;
      nodeFeatAll = new Float32Array(N);
      for (let i = 0; i < N; i++) nodeFeatAll[i] = (deg[i] - mean) / std;
      nodeFeatNote = `normalised out-degree (deg - ${mean.toFixed(4)}) / ${std.toFixed(4)} (max degree ${maxDeg} >= 1000)`;
    }
  }

  // --- edge features (rows follow the kept edges)
  const eAttr = edgeAttr ? edgeAttr.cols : 0;
  const el = edgeLab ? labelColumns(edgeLab) : null;
  const eLabW = el ? el.width.reduce((a, b) => a + b, 0) : 0;
  const edgeFeatDim = eAttr + eLabW;
  const edgeFeatAll = edgeFeatDim > 0 ? new Float32Array(E * edgeFeatDim) : null;
  const edgeCatAll = edgeLab ? new Int32Array(E * edgeLab.cols) : null;
  for (let k = 0; k < E && (edgeFeatAll || edgeCatAll); k++) {
    const e = kept[k];
    if (edgeFeatAll) {
      const o = k * edgeFeatDim;
      for (let c = 0; c < eAttr; c++) edgeFeatAll[o + c] = edgeAttr!.data[e * eAttr + c];
      let off = eAttr;
      for (let c = 0; el && c < el.min.length; c++) {
        edgeFeatAll[o + off + edgeLab!.data[e * edgeLab!.cols + c] - el.min[c]] = 1;
        off += el.width[c];
      }
    }
    if (edgeCatAll) for (let c = 0; c < edgeLab!.cols; c++) edgeCatAll[k * edgeLab!.cols + c] = edgeLab!.data[e * edgeLab!.cols + c] - el!.min[c];
  }

  // --- graphs (views into the dataset-wide arrays)
  const ncc = nodeCatDims.length, ecc = edgeLab ? edgeLab.cols : 0;
  const graphs: Graph[] = new Array(G);
  for (let g = 0; g < G; g++) {
    const n0 = nodePtr[g], n1 = nodePtr[g + 1], e0 = edgePtr[g], e1 = edgePtr[g + 1];
    graphs[g] = {
      numNodes: n1 - n0,
      edgeIndex: edgeIndexAll.subarray(2 * e0, 2 * e1),
      nodeFeat: nodeFeatAll ? nodeFeatAll.subarray(n0 * nodeFeatDim, n1 * nodeFeatDim) : null,
      nodeCat: nodeCatAll ? nodeCatAll.subarray(n0 * ncc, n1 * ncc) : null,
      edgeFeat: edgeFeatAll ? edgeFeatAll.subarray(e0 * edgeFeatDim, e1 * edgeFeatDim) : null,
      edgeCat: edgeCatAll ? edgeCatAll.subarray(e0 * ecc, e1 * ecc) : null,
      y: ys.subarray(g * numTasks, (g + 1) * numTasks),
      nodeY: null,
    };
  }
  return {
    name, graphs,
    task: fLab ? 'multi_class' : 'regression',
    numClasses, numTasks,
    nodeFeatDim, nodeCatDims, edgeFeatDim, edgeCatDims: el ? el.width.slice() : [],
    metric: fLab ? 'accuracy' : 'mae',
    classLabels, nodeFeatNote,
  };
}
