import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSBM, sbmStats } from '../src/data/sbm.js';
import type { Graph } from '../src/graph/types.js';

function checkStructure(g: Graph): void {
  const E = g.edgeIndex.length / 2, set = new Set<number>();
  for (let e = 0; e < E; e++) {
    const i = g.edgeIndex[e], j = g.edgeIndex[E + e];
    assert.notEqual(i, j, 'no self loops');
    set.add(i * 1000 + j);
  }
  for (const k of set) assert.ok(set.has((k % 1000) * 1000 + Math.floor(k / 1000)), 'both directions present');
  assert.equal(set.size, E, 'no duplicate edges');
  assert.ok(g.numNodes >= 30 && g.numNodes <= 204);
}

test('CLUSTER: published layout, revealed nodes, statistics of a 300-graph sample', () => {
  const ds = loadSBM('CLUSTER', { seed: 7, sizes: { train: 200, val: 50, test: 50 } });
  assert.equal(ds.graphs.length, 300);
  assert.deepEqual([ds.officialSplit!.train.length, ds.officialSplit!.val.length, ds.officialSplit!.test.length], [200, 50, 50]);
  assert.equal(ds.task, 'node_multi_class');
  assert.deepEqual(ds.nodeCatDims, [7]);
  for (const g of ds.graphs.slice(0, 20)) {
    checkStructure(g);
    // exactly one node per community carries feature r+1, and it is labelled r
    const revealed = [];
    for (let a = 0; a < g.numNodes; a++) if (g.nodeCat![a] !== 0) { revealed.push(g.nodeCat![a]); assert.equal(g.nodeY![a], g.nodeCat![a] - 1); }
    assert.deepEqual(revealed.sort(), [1, 2, 3, 4, 5, 6]);
  }
  const st = sbmStats('CLUSTER', { seed: 7, sizes: { train: 200, val: 50, test: 50 } });
  // Expected (SBM.md): 117.0 nodes (per-graph sd 21.2 -> sample se 1.2), 4289.6 directed edges.
  assert.ok(Math.abs(st.avgNodes - 117.0) < 5, `avg nodes ${st.avgNodes}`);
  assert.ok(Math.abs(st.avgEdges - 4289.6) / 4289.6 < 0.08, `avg edges ${st.avgEdges}`);
  for (const s of st.classShare) assert.ok(s > 0.14 && s < 0.19, `class share ${s}`);
  assert.deepEqual(st.featureValues, [0, 1, 2, 3, 4, 5, 6]);
});

test('PATTERN: labels, shared patterns per instance, statistics of a 300-graph sample', () => {
  const ds = loadSBM('PATTERN', { seed: 3, sizes: { train: 200, val: 50, test: 50 } });
  assert.equal(ds.graphs.length, 300);
  assert.deepEqual(ds.nodeCatDims, [3]);
  assert.equal(ds.numClasses, 2);
  // train graphs 0 and 1 share instance 0 (200 graphs over 100 instances): same pattern size and feature multiset
  const patternFeats = (g: Graph) => Array.from(g.nodeCat!).filter((_, a) => g.nodeY![a] === 1).sort().join('');
  assert.equal(patternFeats(ds.graphs[0]), patternFeats(ds.graphs[1]));
  for (const g of ds.graphs.slice(0, 10)) checkStructure(g);
  const st = sbmStats('PATTERN', { seed: 3, sizes: { train: 200, val: 50, test: 50 } });
  // Expected: 117.0 nodes, 5870 directed edges, label-1 share 0.167 (100 pattern sizes dominate the spread).
  assert.ok(Math.abs(st.avgNodes - 117.0) < 7, `avg nodes ${st.avgNodes}`);
  assert.ok(Math.abs(st.avgEdges - 5870) / 5870 < 0.1, `avg edges ${st.avgEdges}`);
  assert.ok(Math.abs(st.classShare[1] - 0.167) < 0.03, `label-1 share ${st.classShare[1]}`);
  assert.deepEqual(st.featureValues, [0, 1, 2]);
});

test('same seed, same graphs; other seed, other graphs', () => {
  const a = loadSBM('CLUSTER', { seed: 1, sizes: { train: 3, val: 1, test: 1 } });
  const b = loadSBM('CLUSTER', { seed: 1, sizes: { train: 3, val: 1, test: 1 } });
  const c = loadSBM('CLUSTER', { seed: 2, sizes: { train: 3, val: 1, test: 1 } });
  assert.deepEqual(a.graphs[4].edgeIndex, b.graphs[4].edgeIndex);
  assert.notDeepEqual(a.graphs[0].edgeIndex, c.graphs[0].edgeIndex);
  assert.throws(() => loadSBM('CLUSTER', { seed: 1, sizes: { train: -1, val: 0, test: 0 } }), /sizes.train/);
});

test('CLUSTER and PATTERN train with their official presets (one-hot features, zero edge category)', async () => {
  const { buildRunConfig } = await import('../src/train/runconfig.js');
  const { buildModel } = await import('../src/train/trainer.js');
  const { preprocessDataset } = await import('../src/data/preprocess.js');
  const { GraphLoader } = await import('../src/data/loader.js');
  const { computeLoss } = await import('../src/train/losses.js');
  for (const name of ['CLUSTER', 'PATTERN'] as const) {
    const ds = loadSBM(name, { seed: 1, sizes: { train: 8, val: 2, test: 2 } });
    const g = ds.graphs[0];
    assert.equal(g.nodeFeat!.length, g.numNodes * ds.nodeFeatDim);
    for (let a = 0; a < g.numNodes; a++) assert.equal(g.nodeFeat![a * ds.nodeFeatDim + g.nodeCat![a]], 1, 'one-hot of the category');
    assert.ok(g.edgeCat!.length === g.edgeIndex.length / 2 && g.edgeCat!.every((c) => c === 0));
    const run = buildRunConfig(ds, name, { model: { num_layers: 1 } }, 0);
    const model = buildModel(run);
    const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
    const [batch] = new GraphLoader(ds.graphs, pre, ds.officialSplit!.train, { batchSize: 4 });
    const { out } = model.forward(batch);
    assert.deepEqual(out.shape, [batch.numNodes, ds.numClasses]);
    const loss = computeLoss(run.train.loss, out, batch, true);
    assert.ok(Number.isFinite(loss.item()), `${name} loss ${loss.item()}`);
    loss.backward();
    assert.ok(model.hop.grad !== null, 'gradients reach the hop parameter');
  }
});
