/**
 * collate: pack graphs back to back into one GraphBatch (no padding).
 * Two passes over the selected graphs: sizes first (to preallocate every
 * array once), then one copy pass.
 */
import type { Graph, GraphBatch, GraphPre } from './types.js';

function dimOf(len: number, rows: number, what: string, g: number): number {
  if (rows === 0) return -1; // unknown from an empty graph
  if (len % rows !== 0) throw new Error(`collate: graph ${g}: ${what} has ${len} values, not a multiple of its ${rows} rows`);
  return len / rows;
}

/**
 * Packs graphs[index[b]] (with their preprocessing pre[index[b]]) for b = 0..B-1.
 * Feature widths are taken from the graphs; every graph must agree on them
 * and on the presence of each optional field.
 */
export function collate(graphs: Graph[], pre: GraphPre[], index: Int32Array | number[]): GraphBatch {
  const B = index.length;
  if (B === 0) throw new Error('collate: empty batch (index has no entries)');
  let N = 0, E = 0, S = 0;
  let nodeFeatDim = -1, nodeCatDim = -1, edgeFeatDim = -1, edgeCatDim = -1, peDim = -1, T = -1;
  const g0 = graphs[index[0]];
  if (!g0) throw new Error(`collate: index ${index[0]} is outside the ${graphs.length} graphs`);
  const hasNodeFeat = g0.nodeFeat !== null, hasNodeCat = g0.nodeCat !== null;
  const hasEdgeFeat = g0.edgeFeat !== null, hasEdgeCat = g0.edgeCat !== null, hasNodeY = g0.nodeY !== null;
  for (let b = 0; b < B; b++) {
    const gi = index[b];
    const g = graphs[gi], p = pre[gi];
    if (!g || !p) throw new Error(`collate: index ${gi} is outside the ${graphs.length} graphs / ${pre.length} preprocessed entries`);
    const n = g.numNodes, e = g.edgeIndex.length >>> 1;
    if ((g.nodeFeat !== null) !== hasNodeFeat || (g.nodeCat !== null) !== hasNodeCat ||
        (g.edgeFeat !== null) !== hasEdgeFeat || (g.edgeCat !== null) !== hasEdgeCat || (g.nodeY !== null) !== hasNodeY) {
      throw new Error(`collate: graph ${gi} does not carry the same optional fields as graph ${index[0]}`);
    }
    const check = (cur: number, len: number, rows: number, what: string): number => {
      const d = dimOf(len, rows, what, gi);
      if (d < 0) return cur;
      if (cur >= 0 && d !== cur) throw new Error(`collate: graph ${gi}: ${what} width ${d} differs from ${cur} in the other graphs`);
      return d;
    };
    if (g.nodeFeat) nodeFeatDim = check(nodeFeatDim, g.nodeFeat.length, n, 'nodeFeat');
    if (g.nodeCat) nodeCatDim = check(nodeCatDim, g.nodeCat.length, n, 'nodeCat');
    if (g.edgeFeat) edgeFeatDim = check(edgeFeatDim, g.edgeFeat.length, e, 'edgeFeat');
    if (g.edgeCat) edgeCatDim = check(edgeCatDim, g.edgeCat.length, e, 'edgeCat');
    peDim = check(peDim, p.pe.length, n, 'pe');
    if (T >= 0 && g.y.length !== T) throw new Error(`collate: graph ${gi} has ${g.y.length} targets, others ${T}`);
    T = g.y.length;
    if (p.spd.length !== n * n) throw new Error(`collate: graph ${gi}: spd has ${p.spd.length} entries, expected ${n}*${n}`);
    N += n; E += e; S += n * n;
  }
  nodeFeatDim = Math.max(nodeFeatDim, 0); nodeCatDim = Math.max(nodeCatDim, 0);
  edgeFeatDim = Math.max(edgeFeatDim, 0); edgeCatDim = Math.max(edgeCatDim, 0); peDim = Math.max(peDim, 0);

  const graphPtr = new Int32Array(B + 1), edgePtr = new Int32Array(B + 1), spdPtr = new Int32Array(B + 1);
  const batch = new Int32Array(N), edgeIndex = new Int32Array(2 * E);
  const nodeFeat = hasNodeFeat ? new Float32Array(N * nodeFeatDim) : null;
  const nodeCat = hasNodeCat ? new Int32Array(N * nodeCatDim) : null;
  const edgeFeat = hasEdgeFeat ? new Float32Array(E * edgeFeatDim) : null;
  const edgeCat = hasEdgeCat ? new Int32Array(E * edgeCatDim) : null;
  const nodeY = hasNodeY ? new Int32Array(N) : null;
  const spd = new Uint16Array(S), pe = new Float32Array(N * peDim), y = new Float32Array(B * T);
  const idx = new Int32Array(B);
  let no = 0, eo = 0, so = 0;
  for (let b = 0; b < B; b++) {
    const gi = index[b];
    const g = graphs[gi], p = pre[gi];
    const n = g.numNodes, e = g.edgeIndex.length >>> 1;
    idx[b] = gi;
    batch.fill(b, no, no + n);
    const ei = g.edgeIndex;
    for (let k = 0; k < e; k++) {
      edgeIndex[eo + k] = ei[k] + no;
      edgeIndex[E + eo + k] = ei[e + k] + no;
    }
    if (nodeFeat) nodeFeat.set(g.nodeFeat!, no * nodeFeatDim);
    if (nodeCat) nodeCat.set(g.nodeCat!, no * nodeCatDim);
    if (edgeFeat) edgeFeat.set(g.edgeFeat!, eo * edgeFeatDim);
    if (edgeCat) edgeCat.set(g.edgeCat!, eo * edgeCatDim);
    if (nodeY) nodeY.set(g.nodeY!, no);
    spd.set(p.spd, so);
    pe.set(p.pe, no * peDim);
    y.set(g.y, b * T);
    no += n; eo += e; so += n * n;
    graphPtr[b + 1] = no; edgePtr[b + 1] = eo; spdPtr[b + 1] = so;
  }
  return {
    numGraphs: B, numNodes: N, numEdges: E, graphPtr, batch, edgePtr, edgeIndex,
    nodeFeat, nodeFeatDim, nodeCat, nodeCatDim, edgeFeat, edgeFeatDim, edgeCat, edgeCatDim,
    spd, spdPtr, pe, peDim, y, numTargets: T, nodeY, index: idx,
  };
}
