/**
 * The batch the wasm benchmarks time (bench/wasm.ts in Node, bench/wasm_browser.ts
 * in Chromium), built in one place so both time the same thing: the first graphs
 * of the dataset, as many as the official preset's batch size, collated with the
 * preset's positional encodings.
 */
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig, type RunConfig } from '../src/train/runconfig.js';
import { computePre } from '../src/data/preprocess.js';
import { collate } from '../src/graph/batch.js';
import type { GraphBatch } from '../src/graph/types.js';

/** The preset run configuration (seed 0) of dataset `name` and its first batch (`dataRoot`: where the datasets are, default the usual). */
export async function benchBatch(name: string, dataRoot: string | undefined): Promise<{ run: RunConfig; batch: GraphBatch }> {
  const ds = await loadDatasetByName(name, dataRoot);
  const run = buildRunConfig(ds, name, {}, 0);
  const idx = Array.from({ length: Math.min(run.train.batch_size, ds.graphs.length) }, (_, i) => i);
  const graphs = idx.map((i) => ds.graphs[i]);
  const pre = await computePre(graphs, run.train.pe, false, name, 1);
  return { run, batch: collate(graphs, pre, idx.map((_, i) => i)) };
}
