/**
 * The library in one page: load the bundled MUTAG, preprocess it (shortest-path
 * distances + RWSE, cached), split, batch, train a small Gradformer with Adam,
 * and evaluate. Run: node --import tsx examples/quickstart.ts
 * (from an installed package, import from 'gradformer' instead of '../src/index.js').
 */
import {
  Gradformer, GraphLoader, Optimizer, Rng, accuracy, computeLoss, datasetSplit, loadDataset, noGrad, preprocessDataset,
} from '../src/index.js';

const ds = await loadDataset('MUTAG');                                  // bundled; { root } for a local folder
const pre = await preprocessDataset(ds, { pe: { kind: 'rwse', dim: 20 } });
const split = datasetSplit(ds, 'random_80_10_10', 0);                  // train / val / test indices

const model = new Gradformer({
  mpnn: 'GIN', channels: 32, nhead: 4, num_layers: 2, gamma: 0.6, n_hop: 2,  // official argument names
  node_method: 'add', pool: 'add', projection: 'lin', pe_origin_dim: 20, attn_dropout: 0,
  node_dim: ds.nodeFeatDim, num_tasks: ds.numClasses, task: 'multi_class',
}, new Rng(0));
const opt = new Optimizer('adam', model.namedParameters(), { lr: 1e-3, weightDecay: 0 });
const train = new GraphLoader(ds.graphs, pre, split.train, { batchSize: 32, shuffle: true, seed: 0 });

for (let epoch = 1; epoch <= 10; epoch++) {
  model.train();
  for (const batch of train) {                                          // graphs packed back to back
    model.zeroGrad();
    const { out } = model.forward(batch);                               // out: [graphs, classes]
    computeLoss('cross_entropy', out, batch, false).backward();
    opt.step();
  }
}

model.eval();
const test = new GraphLoader(ds.graphs, pre, split.test, { batchSize: 64 });
let correct = 0;
for (const batch of test) {
  const out = noGrad(() => model.forward(batch).out);
  correct += accuracy(out.data, batch.y, ds.numClasses) * batch.numGraphs;
}
console.log(`test accuracy ${(correct / split.test.length).toFixed(3)} on ${split.test.length} graphs`);
