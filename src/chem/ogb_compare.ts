/**
 * Compare our OGB featurisation of SMILES with an OGB `raw/` folder (the layout
 * of ogbg-mol*: node-feat, edge-feat, edge, num-node-list, num-edge-list, all
 * .csv.gz, no header). Used by scripts/check-ogb-featurisation.ts and the tests.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { Featuriser } from './featuriser.js';
import { OGB_ATOM_COLUMNS, OGB_BOND_COLUMNS } from './ogb.js';

export interface OgbRaw {
  numNodes: Int32Array; numEdges: Int32Array;
  /** Per graph: start row in the node / edge tables. */
  nodeStart: Int32Array; edgeStart: Int32Array;
  nodeFeat: Int32Array; edgeFeat: Int32Array;
  /** [E, 2] bond begin,end (per-graph node ids), each bond once. */
  edge: Int32Array;
}

function readIntCsvGz(path: string, cols: number, maxRows = Infinity): Int32Array {
  const text = gunzipSync(readFileSync(path)).toString('latin1');
  const out: number[] = [];
  let line = 1, start = 0;
  for (let i = 0; i <= text.length && out.length < maxRows * cols; i++) {
    if (i === text.length || text.charCodeAt(i) === 10) {
      const s = text.slice(start, i).trim();
      if (s.length) {
        const parts = s.split(',');
        if (parts.length !== cols) throw new Error(`${path}:${line}: expected ${cols} integers, got ${JSON.stringify(s)}`);
        for (const p of parts) {
          const v = Number(p);
          if (!Number.isInteger(v)) throw new Error(`${path}:${line}: not an integer: ${JSON.stringify(p)}`);
          out.push(v);
        }
      }
      start = i + 1; line++;
    }
  }
  return Int32Array.from(out);
}

/** Read an OGB raw/ folder (a few seconds for molhiv), or only its first `maxGraphs` graphs. */
export function readOgbRaw(dir: string, maxGraphs = Infinity): OgbRaw {
  const numNodes = readIntCsvGz(join(dir, 'num-node-list.csv.gz'), 1, maxGraphs);
  const numEdges = readIntCsvGz(join(dir, 'num-edge-list.csv.gz'), 1, maxGraphs);
  let totalNodes = 0, totalEdges = 0;
  for (let g = 0; g < numNodes.length; g++) { totalNodes += numNodes[g]; totalEdges += numEdges[g]; }
  const nodeStart = new Int32Array(numNodes.length), edgeStart = new Int32Array(numEdges.length);
  for (let g = 1; g < numNodes.length; g++) {
    nodeStart[g] = nodeStart[g - 1] + numNodes[g - 1];
    edgeStart[g] = edgeStart[g - 1] + numEdges[g - 1];
  }
  return {
    numNodes, numEdges, nodeStart, edgeStart,
    nodeFeat: readIntCsvGz(join(dir, 'node-feat.csv.gz'), 9, totalNodes),
    edgeFeat: readIntCsvGz(join(dir, 'edge-feat.csv.gz'), 3, totalEdges),
    edge: readIntCsvGz(join(dir, 'edge.csv.gz'), 2, totalEdges),
  };
}

export interface ColumnAgreement { column: string; rows: number; identical: number }
export interface OgbComparison {
  graphs: number;
  /** Graphs whose node count / bond count / bond list (begin,end in order) all match. */
  sameNodeCount: number; sameEdgeCount: number; sameEdgeList: number;
  /** Per feature column, over the rows of the graphs with matching counts. */
  atom: ColumnAgreement[]; bond: ColumnAgreement[];
  /** Graph ids (0-based) with any difference, with a short reason; at most `maxListed`. */
  differing: { graph: number; smiles: string; what: string }[];
  numDiffering: number;
  /** Graphs that our featuriser rejected (error message). */
  failed: { graph: number; smiles: string; error: string }[];
}

/**
 * Featurise `smiles[g]` for g in [from, to) and compare with graph g of `raw`.
 * Atom/bond rows are compared only for graphs with equal node/bond counts.
 */
export function compareWithOgbRaw(smiles: string[], raw: OgbRaw, f: Featuriser, from = 0, to = smiles.length,
  maxListed = 50): OgbComparison {
  const atom = OGB_ATOM_COLUMNS.map((column) => ({ column, rows: 0, identical: 0 }));
  const bond = OGB_BOND_COLUMNS.map((column) => ({ column, rows: 0, identical: 0 }));
  const res: OgbComparison = { graphs: 0, sameNodeCount: 0, sameEdgeCount: 0, sameEdgeList: 0, atom, bond,
    differing: [], numDiffering: 0, failed: [] };
  for (let g = from; g < to; g++) {
    res.graphs++;
    let parts;
    try { parts = f.featurise(smiles[g]); } catch (e) {
      res.failed.push({ graph: g, smiles: smiles[g], error: (e as Error).message });
      res.numDiffering++;
      continue;
    }
    const why: string[] = [];
    const n = raw.numNodes[g], nb = raw.numEdges[g];
    const E = parts.edgeIndex.length >>> 1, myNb = E >>> 1;
    if (parts.numNodes === n) res.sameNodeCount++; else why.push(`nodes ${parts.numNodes} vs ${n}`);
    if (myNb === nb) res.sameEdgeCount++; else why.push(`bonds ${myNb} vs ${nb}`);
    if (parts.numNodes === n) {
      const r0 = raw.nodeStart[g];
      for (let c = 0; c < 9; c++) {
        let same = 0;
        for (let i = 0; i < n; i++) if (parts.nodeCat[i * 9 + c] === raw.nodeFeat[(r0 + i) * 9 + c]) same++;
        atom[c].rows += n; atom[c].identical += same;
        if (same < n) why.push(`atom ${atom[c].column} (${n - same} rows)`);
      }
    }
    if (myNb === nb) {
      const e0 = raw.edgeStart[g];
      let sameList = true;
      for (let k = 0; k < nb; k++) {
        if (parts.edgeIndex[2 * k] !== raw.edge[(e0 + k) * 2] || parts.edgeIndex[E + 2 * k] !== raw.edge[(e0 + k) * 2 + 1]) sameList = false;
      }
      if (sameList) res.sameEdgeList++; else why.push('bond list');
      for (let c = 0; c < 3; c++) {
        let same = 0;
        for (let k = 0; k < nb; k++) if (parts.edgeCat[2 * k * 3 + c] === raw.edgeFeat[(e0 + k) * 3 + c]) same++;
        bond[c].rows += nb; bond[c].identical += same;
        if (same < nb) why.push(`bond ${bond[c].column} (${nb - same} rows)`);
      }
    }
    if (why.length) {
      res.numDiffering++;
      if (res.differing.length < maxListed) res.differing.push({ graph: g, smiles: smiles[g], what: why.join('; ') });
    }
  }
  return res;
}

/** Percent with 4 decimals, for reports. */
export function pct(a: number, b: number): string {
  return b === 0 ? 'n/a' : (100 * a / b).toFixed(4) + '%';
}
