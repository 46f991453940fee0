/**
 * The per-graph preprocessing step shared by the main thread and the workers:
 * BFS distances plus the chosen positional encoding.
 */
import type { GraphPre } from '../graph/types.js';
import { shortestPathDistances } from '../graph/spd.js';
import { randomWalkPE } from '../graph/rwse.js';

/**
 * A positional encoding, [n, dim] per graph: 'rwse' (random-walk return probabilities
 * for walks of 1..dim steps) or 'lappe' (`dim` eigenvectors of the graph Laplacian,
 * lapPE); `dim` must be a positive integer (makePeFunction throws otherwise).
 */
export interface PeOptions { kind: 'rwse' | 'lappe'; dim: number }

/** PE of one graph from its structure. */
export type PeFn = (numNodes: number, edgeIndex: Int32Array) => Float32Array;

/** The PE function for the options: RWSE (src/graph/rwse.ts) or LapPE (src/graph/lappe.ts lapPE(n, edgeIndex, k)). */
export async function makePeFunction(pe: PeOptions): Promise<PeFn> {
  if (!Number.isInteger(pe.dim) || pe.dim < 1) throw new Error(`preprocess: PE dimension must be a positive integer, got ${pe.dim}`);
  if (pe.kind === 'rwse') return (n, ei) => randomWalkPE(n, ei, pe.dim);
  if (pe.kind === 'lappe') {
    // Imported on demand: it pulls in the eigen-solver dependency, which RWSE runs do not need.
    const { lapPE } = await import('../graph/lappe.js');
    return (n, ei) => lapPE(n, ei, pe.dim);
  }
  throw new Error(`preprocess: unknown PE kind "${(pe as PeOptions).kind}" (expected rwse or lappe)`);
}

/** Distances and PE of one graph; `queue` is a reusable BFS buffer of at least n entries. */
export function preprocessOne(n: number, edgeIndex: Int32Array, peOf: PeFn, dim: number, queue: Int32Array): GraphPre {
  const pe = peOf(n, edgeIndex);
  if (pe.length !== n * dim) throw new Error(`preprocess: PE has ${pe.length} values for ${n} nodes, expected ${n}*${dim}`);
  return { spd: shortestPathDistances(n, edgeIndex, queue), pe };
}

/**
 * Distances and PE of every graph, in order, on this thread (what `preprocessGraphs`
 * does without workers or a cache, and what the browser runs). Errors name the graph's
 * position; `tick(k)` is told of every 64 graphs done.
 */
export function preprocessMany(graphs: readonly { numNodes: number; edgeIndex: Int32Array }[], peOf: PeFn, dim: number,
  tick?: (k: number) => void): GraphPre[] {
  const out: GraphPre[] = new Array(graphs.length);
  let maxN = 0;
  for (const g of graphs) if (g.numNodes > maxN) maxN = g.numNodes;
  const queue = new Int32Array(maxN);
  for (let i = 0; i < graphs.length; i++) {
    try {
      out[i] = preprocessOne(graphs[i].numNodes, graphs[i].edgeIndex, peOf, dim, queue);
    } catch (e) {
      throw new Error(`preprocess: graph ${i}: ${(e as Error).message}`);
    }
    if (tick && (i & 63) === 63) tick(64);
  }
  return out;
}
