// Preprocessing parity with the PyTorch reference fixture: SPD exact, RWSE to 1e-6, collate layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readSafetensors, toNumbers } from './helpers/safetensors_read.js';
import { shortestPathDistances } from '../src/graph/spd.js';
import { randomWalkPE } from '../src/graph/rwse.js';
import { collate } from '../src/graph/batch.js';
import type { Graph, GraphPre } from '../src/graph/types.js';

const FIX = new URL('../../shared/fixtures/', import.meta.url);
const st = readSafetensors(new URL('preprocess.safetensors', FIX).pathname);
const meta = JSON.parse(readFileSync(new URL('preprocess.json', FIX), 'utf8'));
const fixGraphs: { name: string; num_nodes: number; edge_index: number[][]; node_labels: number[]; y_regression: number }[] = meta.graphs;

function ei(src: number[], dst: number[]): Int32Array {
  const a = new Int32Array(src.length * 2);
  a.set(src, 0); a.set(dst, src.length);
  return a;
}

test('SPD equals fixture g<i>.sph exactly', () => {
  assert.equal(fixGraphs.length, 7);
  fixGraphs.forEach((g, i) => {
    const got = shortestPathDistances(g.num_nodes, ei(g.edge_index[0], g.edge_index[1]));
    assert.deepEqual(Array.from(got), toNumbers(st.get(`g${i}.sph`)!), `graph ${i} (${g.name})`);
  });
});

test('RWSE (walk 20 and 10) matches fixture to 1e-6', () => {
  fixGraphs.forEach((g, i) => {
    for (const K of [20, 10]) {
      const got = randomWalkPE(g.num_nodes, ei(g.edge_index[0], g.edge_index[1]), K);
      const want = st.get(`g${i}.rwse${K}`)!.data as Float32Array;
      assert.equal(got.length, want.length);
      let maxd = 0;
      for (let j = 0; j < want.length; j++) maxd = Math.max(maxd, Math.abs(got[j] - want[j]));
      assert.ok(maxd <= 1e-6, `graph ${i} K=${K}: max diff ${maxd}`);
    }
  });
});

/** Dense float64 reference of the PyG rules (duplicate pair written once, degree counts it twice). */
function denseRwse(n: number, src: number[], dst: number[], K: number): number[] {
  const deg = new Array(n).fill(0);
  src.forEach((s) => deg[s]++);
  const P = Array.from({ length: n }, () => new Array(n).fill(0));
  src.forEach((s, e) => { P[s][dst[e]] = 1 / Math.max(deg[s], 1); });
  let M = P.map((r) => r.slice());
  const out = new Array(n * K).fill(0);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) out[i * K + k] = M[i][i];
    M = M.map((row) => P[0].map((_, j) => row.reduce((acc, v, t) => acc + v * P[t][j], 0)));
  }
  return out;
}

test('RWSE: repeated pair, self loop, directed edge, node without out-edges', () => {
  const src = [0, 0, 1, 1, 2, 2, 3], dst = [1, 1, 0, 2, 2, 0, 0]; // 0->1 twice, 2->2 loop, 3->0 one way, 4 isolated
  const got = randomWalkPE(5, ei(src, dst), 6);
  const want = denseRwse(5, src, dst, 6);
  for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) < 1e-7, `entry ${j}: ${got[j]} vs ${want[j]}`);
  assert.deepEqual(Array.from(got.subarray(24, 30)), [0, 0, 0, 0, 0, 0]);
  // the duplicate matters: (P^2)[0,0] = P[0,1] P[1,0] = (1/2)(1/2), not 1 * 1/2
  assert.ok(Math.abs(got[1] - 0.25) < 1e-7, `(P^2)[0,0] = ${got[1]}`);
});

test('SPD: directed edges followed one way, self loops ignored, distances capped at 510', () => {
  const d = shortestPathDistances(3, ei([0, 1, 1], [1, 1, 2]));
  assert.deepEqual(Array.from(d), [0, 1, 2, 510, 0, 1, 510, 510, 0]);
  const n = 600, s: number[] = [], t: number[] = [];
  for (let i = 0; i + 1 < n; i++) { s.push(i, i + 1); t.push(i + 1, i); }
  const p = shortestPathDistances(n, ei(s, t));
  assert.equal(p[0 * n + 509], 509);
  assert.equal(p[0 * n + 510], 510);
  assert.equal(p[0 * n + 599], 510);
  assert.equal(p[599 * n + 0], 510);
  assert.equal(p[100 * n + 50], 50);
});

test('collate packs the 7 graphs like the fixture batch (edge ids offset, batch vector, sph blocks)', () => {
  const graphs: Graph[] = fixGraphs.map((g) => ({
    numNodes: g.num_nodes, edgeIndex: ei(g.edge_index[0], g.edge_index[1]),
    nodeFeat: Float32Array.from(g.node_labels.flatMap((l) => [0, 1, 2, 3, 4, 5].map((c) => (c === l ? 1 : 0)))),
    nodeCat: Int32Array.from(g.node_labels), edgeFeat: null, edgeCat: null,
    y: Float32Array.of(g.y_regression), nodeY: null,
  }));
  const pre: GraphPre[] = graphs.map((g) => ({
    spd: shortestPathDistances(g.numNodes, g.edgeIndex), pe: randomWalkPE(g.numNodes, g.edgeIndex, 20),
  }));
  const b = collate(graphs, pre, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(b.numGraphs, 7); assert.equal(b.numNodes, 60); assert.equal(b.numEdges, 108);
  assert.deepEqual(Array.from(b.batch), toNumbers(st.get('batch.batch')!));
  assert.deepEqual(Array.from(b.edgeIndex), toNumbers(st.get('batch.edge_index')!));
  assert.equal(b.nodeFeatDim, 6); assert.equal(b.nodeCatDim, 1); assert.equal(b.peDim, 20);
  const rw = st.get('batch.rwse20')!.data as Float32Array;
  for (let j = 0; j < rw.length; j++) assert.ok(Math.abs(b.pe[j] - rw[j]) <= 1e-6);
  // Packed blocks equal the top-left corners of the padded [7, 19, 19] fixture; the rest is padding 510.
  const pad = toNumbers(st.get('batch.sph')!);
  for (let g = 0; g < 7; g++) {
    const n = b.graphPtr[g + 1] - b.graphPtr[g];
    assert.equal(b.spdPtr[g + 1] - b.spdPtr[g], n * n);
    for (let i = 0; i < 19; i++) for (let j = 0; j < 19; j++) {
      const want = pad[g * 361 + i * 19 + j];
      if (i < n && j < n) assert.equal(b.spd[b.spdPtr[g] + i * n + j], want);
      else assert.equal(want, 510);
    }
  }
  // A reordered subset: offsets follow the given order, index records dataset ids.
  const s = collate(graphs, pre, Int32Array.of(6, 0));
  assert.deepEqual(Array.from(s.index), [6, 0]);
  assert.deepEqual(Array.from(s.graphPtr), [0, 19, 20]);
  assert.deepEqual(Array.from(s.y), [graphs[6].y[0], graphs[0].y[0]]);
  assert.throws(() => collate(graphs, pre, []), /empty batch/);
});
