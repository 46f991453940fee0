/**
 * Random-walk structural encoding (RWSE), PyG AddRandomWalkPE semantics:
 * P = D^-1 A, pe[i, k-1] = (P^k)[i, i] for k = 1..K.
 *
 * - D is the out-degree counting every listed edge (a pair listed twice counts
 *   twice), clamped to >= 1; A is written by dense assignment, so a pair listed
 *   twice appears once in A with value 1/deg. Self loops are kept (PyG keeps them).
 * - A node without out-edges has a zero row, hence a zero encoding.
 *
 * Computed in float64, rounded to float32: for graphs up to DENSE_MAX nodes by
 * dense powers M_{k+1} = P M_k with P sparse (contiguous row updates,
 * O(K * (n^2 + E n)) per graph); larger graphs propagate each unit vector e_i
 * through P separately (O(n) memory instead of O(n^2)).
 */

/** Largest graph handled with dense n x n float64 powers (2 matrices of n^2 doubles). */
const DENSE_MAX = 1024;

/** Sparse rows of P: for every source, its distinct targets and the value 1/outdeg. */
function transitionRows(n: number, edgeIndex: Int32Array): { ptr: Int32Array; col: Int32Array; val: Float64Array } {
  const E = edgeIndex.length >>> 1;
  const deg = new Int32Array(n);
  for (let e = 0; e < E; e++) {
    const s = edgeIndex[e], t = edgeIndex[E + e];
    if (s < 0 || s >= n || t < 0 || t >= n) throw new RangeError(`edge ${e} (${s} -> ${t}) is outside 0..${n - 1}`);
    deg[s]++;
  }
  const ptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) ptr[i + 1] = ptr[i] + deg[i];
  const fill = ptr.slice(0, n);
  const col = new Int32Array(E);
  for (let e = 0; e < E; e++) col[fill[edgeIndex[e]]++] = edgeIndex[E + e];
  // Dedupe targets inside each row (insertion sort: rows are short).
  const outPtr = new Int32Array(n + 1);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const start = w;
    for (let k = ptr[i]; k < ptr[i + 1]; k++) {
      const t = col[k];
      let dup = false;
      for (let m = start; m < w; m++) if (col[m] === t) { dup = true; break; }
      if (!dup) col[w++] = t;
    }
    outPtr[i + 1] = w;
  }
  const val = new Float64Array(w);
  for (let i = 0; i < n; i++) {
    const v = 1 / Math.max(deg[i], 1);
    for (let k = outPtr[i]; k < outPtr[i + 1]; k++) val[k] = v;
  }
  return { ptr: outPtr, col: col.subarray(0, w), val };
}

/**
 * RWSE of one graph: Float32Array [n, K] row-major (pe[i*K + k-1] = (P^k)[i,i]).
 * edgeIndex is [2, E] row-major with local node ids.
 */
export function randomWalkPE(numNodes: number, edgeIndex: Int32Array, walkLength: number): Float32Array {
  const n = numNodes, K = walkLength;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`randomWalkPE: walk length must be a positive integer, got ${K}`);
  const out = new Float32Array(n * K);
  if (n === 0) return out;
  const { ptr, col, val } = transitionRows(n, edgeIndex);
  if (n <= DENSE_MAX) {
    return isSymmetric(n, ptr, col) ? symmetricRwse(n, K, ptr, col, val, out) : denseRwse(n, K, ptr, col, val, out);
  }
  let cur = new Float64Array(n), nxt = new Float64Array(n);
  // Nodes touched by the current vector, to keep each step O(reached edges).
  const active = new Int32Array(n), nextActive = new Int32Array(n);
  const mark = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (ptr[i] === ptr[i + 1]) continue; // no out-edges: zero row, zero encoding
    cur[i] = 1;
    let na = 1;
    active[0] = i;
    for (let k = 0; k < K; k++) {
      // nxt = cur * P over the active support.
      let nn = 0;
      const stamp = i * K + k;
      for (let a = 0; a < na; a++) {
        const u = active[a];
        const cu = cur[u];
        for (let p = ptr[u], end = ptr[u + 1]; p < end; p++) {
          const v = col[p];
          if (mark[v] !== stamp) { mark[v] = stamp; nxt[v] = 0; nextActive[nn++] = v; }
          nxt[v] += cu * val[p];
        }
        cur[u] = 0;
      }
      out[i * K + k] = mark[i] === stamp ? nxt[i] : 0;
      const t = cur; cur = nxt; nxt = t;
      active.set(nextActive.subarray(0, nn));
      na = nn;
    }
    for (let a = 0; a < na; a++) cur[active[a]] = 0;
  }
  return out;
}

/** Dense powers: A = P^k as an n x n float64 matrix, B = P A; records diag(A) per step. */
function denseRwse(n: number, K: number, ptr: Int32Array, col: Int32Array, val: Float64Array, out: Float32Array): Float32Array {
  let A = new Float64Array(n * n), B = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let p = ptr[i]; p < ptr[i + 1]; p++) A[i * n + col[p]] = val[p];
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) out[i * K + k] = A[i * n + i];
    if (k === K - 1) break;
    B.fill(0);
    for (let i = 0; i < n; i++) {
      const bo = i * n;
      for (let p = ptr[i], end = ptr[i + 1]; p < end; p++) {
        const v = val[p], ao = col[p] * n;
        for (let j = 0; j < n; j++) B[bo + j] += v * A[ao + j];
      }
    }
    const t = A; A = B; B = t;
  }
  return out;
}

/** Whether the (deduplicated) adjacency pattern is symmetric: every j in row i has i in row j. */
function isSymmetric(n: number, ptr: Int32Array, col: Int32Array): boolean {
  for (let i = 0; i < n; i++) {
    for (let p = ptr[i]; p < ptr[i + 1]; p++) {
      const j = col[p];
      let found = false;
      for (let q = ptr[j]; q < ptr[j + 1]; q++) if (col[q] === i) { found = true; break; }
      if (!found) return false;
    }
  }
  return true;
}

/**
 * Undirected graphs (symmetric pattern A): P = D^-1 A is similar to the symmetric
 * S = D^-1/2 A D^-1/2 (P = D^-1/2 S D^1/2), so diag(P^k) = diag(S^k), and with
 * M_m = S^m symmetric, (S^2m)_ii = sum_j M_m[i,j]^2 and (S^2m+1)_ii = sum_j
 * M_m[i,j] M_m+1[i,j]: ceil(K/2) sparse-dense products instead of K-1. Float64
 * throughout (the values agree with denseRwse to ~1e-15 relative).
 */
function symmetricRwse(n: number, K: number, ptr: Int32Array, col: Int32Array, val: Float64Array, out: Float32Array): Float32Array {
  // val[p] = 1/deg_i; S_ij = 1/sqrt(deg_i deg_j) = sqrt(val_i * val_j).
  const rs = new Float64Array(n);
  for (let i = 0; i < n; i++) rs[i] = ptr[i] < ptr[i + 1] ? Math.sqrt(val[ptr[i]]) : 0;
  let cur = new Float64Array(n * n), nxt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let p = ptr[i]; p < ptr[i + 1]; p++) cur[i * n + col[p]] = rs[i] * rs[col[p]];
  // k = 1: diag(S); the M_0 = I terms: (S^1)_ii = sum_j I_ij S_ij.
  for (let i = 0; i < n; i++) out[i * K] = cur[i * n + i];
  // Invariant: cur = M_m (m >= 1); record k = 2m and, when nxt = M_m+1 is needed, k = 2m+1.
  for (let m = 1; 2 * m <= K; m++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * n;
      for (let j = 0; j < n; j++) s += cur[o + j] * cur[o + j];
      out[i * K + 2 * m - 1] = s;
    }
    if (2 * m + 1 > K) break;
    nxt.fill(0);
    for (let i = 0; i < n; i++) {
      const bo = i * n;
      for (let p = ptr[i], end = ptr[i + 1]; p < end; p++) {
        const v = rs[i] * rs[col[p]], ao = col[p] * n;
        for (let j = 0; j < n; j++) nxt[bo + j] += v * cur[ao + j];
      }
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * n;
      for (let j = 0; j < n; j++) s += cur[o + j] * nxt[o + j];
      out[i * K + 2 * m] = s;
    }
    const t = cur; cur = nxt; nxt = t;
  }
  return out;
}
