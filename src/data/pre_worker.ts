/**
 * Worker side of parallel preprocessing: receives a chunk of graph structures
 * (one packed edge buffer), returns their distances and PE packed into two
 * buffers (transferred, not copied; one transfer per worker, not per graph).
 */
import { parentPort } from 'node:worker_threads';
import { makePeFunction, preprocessOne, type PeOptions } from './pre_compute.js';

/** numNodes [G]; edgePtr [G+1] offsets into edges (each graph's [2, E] block). */
interface Job { pe: PeOptions; first: number; numNodes: Int32Array; edgePtr: Int32Array; edges: Int32Array }

parentPort!.on('message', async (job: Job) => {
  try {
    const peOf = await makePeFunction(job.pe);
    const G = job.numNodes.length, dim = job.pe.dim;
    let totS = 0, totN = 0, maxN = 0;
    for (const n of job.numNodes) { totS += n * n; totN += n; if (n > maxN) maxN = n; }
    const spd = new Uint16Array(totS), pe = new Float32Array(totN * dim);
    const queue = new Int32Array(maxN);
    let so = 0, po = 0;
    for (let i = 0; i < G; i++) {
      const n = job.numNodes[i];
      let r;
      try {
        r = preprocessOne(n, job.edges.subarray(job.edgePtr[i], job.edgePtr[i + 1]), peOf, dim, queue);
      } catch (e) {
        throw new Error(`graph ${job.first + i}: ${(e as Error).message}`);
      }
      spd.set(r.spd, so); pe.set(r.pe, po);
      so += n * n; po += n * dim;
      if ((i & 255) === 255) parentPort!.postMessage({ progress: 256 });
    }
    parentPort!.postMessage({ progress: G & 255, spd, pe }, [spd.buffer, pe.buffer]);
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
