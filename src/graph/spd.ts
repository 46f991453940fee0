/**
 * Shortest-path hop distances, one BFS per source node.
 *
 * Semantics of the official preprocessing (Floyd-Warshall on the 0/1 adjacency
 * adj[src, dst] = 1): edges are followed source -> target, self loops are
 * ignored, the diagonal is 0, unreachable pairs and distances >= 510 get 510.
 */
import { UNREACHABLE } from './types.js';

/**
 * Out-neighbour lists in CSR form (self loops dropped). edgeIndex is [2, E]
 * row-major (row 0 sources, row 1 targets).
 */
export function outCsr(numNodes: number, edgeIndex: Int32Array): { ptr: Int32Array; nbr: Int32Array } {
  const E = edgeIndex.length >>> 1;
  const ptr = new Int32Array(numNodes + 1);
  for (let e = 0; e < E; e++) {
    const s = edgeIndex[e], t = edgeIndex[E + e];
    if (s < 0 || s >= numNodes || t < 0 || t >= numNodes) {
      throw new RangeError(`edge ${e} (${s} -> ${t}) is outside 0..${numNodes - 1}`);
    }
    if (s !== t) ptr[s + 1]++;
  }
  for (let i = 0; i < numNodes; i++) ptr[i + 1] += ptr[i];
  const fill = ptr.slice(0, numNodes);
  const nbr = new Int32Array(ptr[numNodes]);
  for (let e = 0; e < E; e++) {
    const s = edgeIndex[e], t = edgeIndex[E + e];
    if (s !== t) nbr[fill[s]++] = t;
  }
  return { ptr, nbr };
}

/**
 * Hop distances [n, n] (row = from, column = to) as a Uint16Array:
 * 0 on the diagonal, min(d, 510) when reachable, 510 otherwise.
 * Cost O(n * (n + E)); `queue` may be passed in to avoid an allocation per graph.
 */
export function shortestPathDistances(numNodes: number, edgeIndex: Int32Array, queue?: Int32Array): Uint16Array {
  const n = numNodes;
  const dist = new Uint16Array(n * n).fill(UNREACHABLE);
  if (n === 0) return dist;
  const { ptr, nbr } = outCsr(n, edgeIndex);
  const q = queue && queue.length >= n ? queue : new Int32Array(n);
  for (let root = 0; root < n; root++) {
    const row = root * n;
    dist[row + root] = 0;
    let head = 0, tail = 0;
    q[tail++] = root;
    while (head < tail) {
      const u = q[head++];
      const du = dist[row + u];
      // Distances beyond 509 would be stored as 510 anyway, and 510 marks "unseen":
      // stop expanding there (only possible on paths of >= 510 nodes).
      if (du >= UNREACHABLE - 1) {
        continue;
      }
      for (let k = ptr[u], end = ptr[u + 1]; k < end; k++) {
        const v = nbr[k];
        if (dist[row + v] === UNREACHABLE) {
          dist[row + v] = du + 1;
          q[tail++] = v;
        }
      }
    }
  }
  return dist;
}
