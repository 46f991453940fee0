/**
 * Laplacian eigenvector positional encoding (LapPE).
 *
 * Convention (that of "Benchmarking GNNs" / the SAN and GraphGPS LapPE inputs):
 * L = I - D^-1/2 A D^-1/2 (symmetric normalised; an isolated node has d^-1/2 = 0,
 * as PyG's get_laplacian, so its row is the identity row). Eigenpairs sorted by
 * eigenvalue ascending; the first (trivial, eigenvalue 0) eigenvector is skipped and
 * the next k are taken, one column per eigenvector; when the graph has fewer than
 * k + 1 nodes the missing columns are 0. Disconnected graphs have several zero
 * eigenvalues: only the first eigenvector is skipped, as in the benchmark code.
 *
 * Eigenvector signs (and the basis inside a repeated eigenvalue, e.g. on a ring)
 * are arbitrary; training should flip signs at random per graph as GraphGPS and the
 * benchmark do. The result here is deterministic for a given input.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/**
 * @param numNodes n
 * @param edgeIndex [2, E] row-major (sources then targets); both directions or one, duplicates and self loops ignored
 * @param k number of eigenvectors
 * @returns Float32Array [n, k] row-major: row i = the k eigenvector entries of node i
 */
export function lapPE(numNodes: number, edgeIndex: Int32Array, k: number): Float32Array {
  const n = numNodes;
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`lapPE: k must be a non-negative integer, got ${k}`);
  if (edgeIndex.length % 2 !== 0) throw new RangeError(`lapPE: edgeIndex length ${edgeIndex.length} is not 2*E`);
  const out = new Float32Array(n * k);
  if (n <= 1 || k === 0) return out;
  const E = edgeIndex.length >>> 1;
  const adj = new Uint8Array(n * n);
  for (let e = 0; e < E; e++) {
    const i = edgeIndex[e], j = edgeIndex[E + e];
    if (i < 0 || i >= n || j < 0 || j >= n) throw new RangeError(`lapPE: edge ${e} (${i} -> ${j}) outside 0..${n - 1}`);
    if (i !== j) { adj[i * n + j] = 1; adj[j * n + i] = 1; }
  }
  const dInvSqrt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let j = 0; j < n; j++) d += adj[i * n + j];
    dInvSqrt[i] = d > 0 ? 1 / Math.sqrt(d) : 0;
  }
  const L = Matrix.zeros(n, n);
  for (let i = 0; i < n; i++) {
    L.set(i, i, 1);
    for (let j = 0; j < n; j++) if (adj[i * n + j]) L.set(i, j, -dInvSqrt[i] * dInvSqrt[j]);
  }
  const eig = new EigenvalueDecomposition(L, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix; // columns
  const order = values.map((v, c) => [v, c] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
  const take = Math.min(k, n - 1);
  for (let c = 0; c < take; c++) {
    const col = order[c + 1];
    for (let i = 0; i < n; i++) out[i * k + c] = vectors.get(i, col);
  }
  return out;
}

/** The eigenvalues matching lapPE's columns ([min(k, n-1)], ascending), for tests and reports. */
export function lapEigenvalues(numNodes: number, edgeIndex: Int32Array, k: number): Float64Array {
  const n = numNodes, E = edgeIndex.length >>> 1;
  if (n <= 1) return new Float64Array(0);
  const deg = new Float64Array(n);
  const seen = new Set<number>();
  for (let e = 0; e < E; e++) {
    const i = edgeIndex[e], j = edgeIndex[E + e];
    if (i === j) continue;
    const key = Math.min(i, j) * n + Math.max(i, j);
    if (seen.has(key)) continue;
    seen.add(key); deg[i]++; deg[j]++;
  }
  const L = Matrix.eye(n, n);
  for (const key of seen) {
    const i = Math.floor(key / n), j = key % n, w = -1 / Math.sqrt(deg[i] * deg[j]);
    L.set(i, j, w); L.set(j, i, w);
  }
  const vals = [...new EigenvalueDecomposition(L, { assumeSymmetric: true }).realEigenvalues].sort((a, b) => a - b);
  return Float64Array.from(vals.slice(1, 1 + Math.min(k, n - 1)));
}
