/**
 * A dataset's content hash: sha256 over everything the trainer reads from a
 * loaded dataset (task, widths, every graph's arrays, the official split), in a
 * fixed order with lengths, so two copies that would train differently hash
 * differently, whatever their file layout. A queue job names the hash of the
 * coordinator's copy; a worker whose copy differs refuses the job.
 */
import { createHash, type Hash } from 'node:crypto';
import type { GraphDataset } from './dataset.js';

const VERSION = 'gradformer-dataset-hash/1';

function typed(h: Hash, a: ArrayBufferView | null): void {
  // The length first (-1 for absent), so [1,2]+[3] and [1]+[2,3] differ.
  const n = new Float64Array([a === null ? -1 : a.byteLength]);
  h.update(new Uint8Array(n.buffer));
  if (a) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** The sha256 (hex) of a loaded dataset's content. */
export function datasetContentHash(ds: GraphDataset): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([VERSION, ds.name, ds.task, ds.numClasses, ds.numTasks, ds.nodeFeatDim, ds.nodeCatDims, ds.edgeFeatDim, ds.edgeCatDims, ds.metric, ds.graphs.length]));
  for (const g of ds.graphs) {
    typed(h, new Int32Array([g.numNodes]));
    typed(h, g.edgeIndex); typed(h, g.nodeFeat); typed(h, g.nodeCat); typed(h, g.edgeFeat); typed(h, g.edgeCat); typed(h, g.y); typed(h, g.nodeY);
  }
  const s = ds.officialSplit;
  for (const part of [s?.train ?? null, s?.val ?? null, s?.test ?? null]) typed(h, part);
  return h.digest('hex');
}
