// Every staged dataset loads with the counts measured in ../shared/datasets/SOURCES.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/registry.js';
import { datasetTotals, type GraphDataset } from '../src/data/dataset.js';

const ROOT = fileURLToPath(new URL('../../shared/datasets/', import.meta.url));

function classCounts(ds: GraphDataset): number[] {
  const c = new Array(Math.max(ds.numClasses, 2)).fill(0);
  for (const g of ds.graphs) c[g.y[0]]++;
  return c;
}

function isolated(ds: GraphDataset): number {
  let k = 0;
  for (const g of ds.graphs) {
    const seen = new Uint8Array(g.numNodes);
    for (const v of g.edgeIndex) seen[v] = 1;
    for (const s of seen) if (!s) k++;
  }
  return k;
}

/** Every graph: edge ids in range, feature arrays sized to the graph. */
function checkShapes(ds: GraphDataset): void {
  for (const [i, g] of ds.graphs.entries()) {
    const E = g.edgeIndex.length / 2;
    for (const v of g.edgeIndex) assert.ok(v >= 0 && v < g.numNodes, `${ds.name} graph ${i}: node id ${v}`);
    if (g.nodeFeat) assert.equal(g.nodeFeat.length, g.numNodes * ds.nodeFeatDim);
    if (g.nodeCat) assert.equal(g.nodeCat.length, g.numNodes * ds.nodeCatDims.length);
    if (g.edgeFeat) assert.equal(g.edgeFeat.length, E * ds.edgeFeatDim);
    if (g.edgeCat) assert.equal(g.edgeCat.length, E * ds.edgeCatDims.length);
    assert.equal(g.y.length, ds.numTasks);
  }
}

test('MUTAG (bundled copy and local folder): 188 graphs, 3371 nodes, 7442 directed edges, 125/63', async () => {
  for (const ds of [await loadDataset('MUTAG'), await loadDataset('MUTAG', { root: ROOT })]) {
    assert.equal(ds.graphs.length, 188);
    assert.deepEqual(datasetTotals(ds), { nodes: 3371, edges: 7442 });
    assert.deepEqual(ds.classLabels, ['-1', '1']);
    assert.deepEqual(classCounts(ds), [63, 125]);
    assert.equal(ds.nodeFeatDim, 7); assert.deepEqual(ds.nodeCatDims, [7]);
    assert.equal(ds.edgeFeatDim, 4); assert.deepEqual(ds.edgeCatDims, [4]);
    assert.equal(isolated(ds), 0);
    assert.equal(ds.task, 'multi_class'); assert.equal(ds.metric, 'accuracy');
    checkShapes(ds);
  }
});

test('PROTEINS: 1113 graphs, 43471 nodes, 162088 edges, 663/450, 5 isolated nodes', async () => {
  const ds = await loadDataset('PROTEINS', { root: ROOT });
  assert.equal(ds.graphs.length, 1113);
  assert.deepEqual(datasetTotals(ds), { nodes: 43471, edges: 162088 });
  assert.deepEqual(ds.classLabels, ['1', '2']);
  assert.deepEqual(classCounts(ds), [663, 450]);
  assert.equal(ds.nodeFeatDim, 3); // labels only: node attributes are off by default (as PyG/official)
  assert.equal(isolated(ds), 5);
  assert.equal(Math.max(...ds.graphs.map((g) => g.numNodes)), 620);
  const withAttr = await loadDataset('PROTEINS', { root: ROOT, options: { useNodeAttr: true } });
  assert.equal(withAttr.nodeFeatDim, 4);
  assert.equal(withAttr.graphs[0].nodeFeat![0], 23); // first attribute value "  23.000000"
  checkShapes(ds);
});

test('NCI1 (CRLF files): 4110 graphs, 122747 nodes, 265506 edges, 2053/2057, 37 labels, 428 isolated', async () => {
  const ds = await loadDataset('NCI1', { root: ROOT });
  assert.equal(ds.graphs.length, 4110);
  assert.deepEqual(datasetTotals(ds), { nodes: 122747, edges: 265506 });
  assert.deepEqual(classCounts(ds), [2053, 2057]);
  assert.equal(ds.nodeFeatDim, 37);
  assert.equal(ds.graphs[0].edgeFeat, null); assert.equal(ds.graphs[0].edgeCat, null);
  assert.equal(ds.edgeFeatDim, 0);
  assert.equal(isolated(ds), 428);
  checkShapes(ds);
});

test('ZINC subset: 10000/1000/1000, 277864 nodes, 597970 directed edges, first graphs as published', async () => {
  const ds = await loadDataset('ZINC', { root: ROOT });
  assert.equal(ds.graphs.length, 12000);
  const s = ds.officialSplit!;
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [10000, 1000, 1000]);
  assert.deepEqual(datasetTotals(ds), { nodes: 277864, edges: 597970 });
  const first = (i: number) => [ds.graphs[i].numNodes, ds.graphs[i].edgeIndex.length / 2];
  assert.deepEqual(first(s.train[0]), [29, 64]);
  assert.deepEqual(first(s.val[0]), [35, 78]);
  assert.deepEqual(first(s.test[0]), [16, 34]);
  assert.ok(Math.abs(ds.graphs[0].y[0] - 0.8350356) < 1e-6);
  assert.deepEqual(ds.nodeCatDims, [28]); assert.deepEqual(ds.edgeCatDims, [4]);
  assert.equal(ds.task, 'regression'); assert.equal(ds.metric, 'mae');
  let mean = 0;
  for (const i of s.train) mean += ds.graphs[i].y[0];
  assert.ok(Math.abs(mean / 10000 - 0.015297) < 1e-5);
  // both directions of every bond, sorted by (source, target)
  const g = ds.graphs[0], E = g.edgeIndex.length / 2;
  for (let k = 1; k < E; k++) {
    assert.ok(g.edgeIndex[k - 1] * 100 + g.edgeIndex[E + k - 1] < g.edgeIndex[k] * 100 + g.edgeIndex[E + k]);
  }
  checkShapes(ds);
});

test('ogbg-molhiv: 41127 graphs, 1049163 nodes, 2259376 directed edges, 1443 positives, scaffold split', async () => {
  const ds = await loadDataset('ogbg-molhiv', { root: ROOT });
  assert.equal(ds.graphs.length, 41127);
  assert.deepEqual(datasetTotals(ds), { nodes: 1049163, edges: 2259376 });
  let pos = 0;
  for (const g of ds.graphs) pos += g.y[0];
  assert.equal(pos, 1443);
  const s = ds.officialSplit!;
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [32901, 4113, 4113]);
  const posIn = (ix: Int32Array) => ix.reduce((a, i) => a + ds.graphs[i].y[0], 0);
  assert.deepEqual([posIn(s.train), posIn(s.val), posIn(s.test)], [1232, 81, 130]);
  const seen = new Uint8Array(41127);
  for (const ix of [s.train, s.val, s.test]) for (const i of ix) seen[i]++;
  assert.ok(seen.every((v) => v === 1));
  assert.deepEqual(ds.nodeCatDims, [119, 5, 12, 12, 10, 6, 6, 2, 2]);
  assert.deepEqual(ds.edgeCatDims, [5, 6, 2]);
  assert.equal(ds.task, 'binary_class'); assert.equal(ds.metric, 'rocauc');
  // bond k -> edges 2k (src->dst) and 2k+1 (dst->src) with the same features
  const g = ds.graphs[0], E = g.edgeIndex.length / 2;
  for (let k = 0; k < E; k += 2) {
    assert.equal(g.edgeIndex[k], g.edgeIndex[E + k + 1]);
    assert.equal(g.edgeIndex[E + k], g.edgeIndex[k + 1]);
    assert.deepEqual(Array.from(g.edgeCat!.subarray(3 * k, 3 * k + 3)), Array.from(g.edgeCat!.subarray(3 * k + 3, 3 * k + 6)));
  }
  checkShapes(ds);
});
