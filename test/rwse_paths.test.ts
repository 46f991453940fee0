// RWSE: the symmetric (undirected) fast path and the general path both equal plain
// dense powers of P = D^-1 A (PyG AddRandomWalkPE semantics: duplicate edges count
// in the degree but appear once in A; self loops kept; isolated nodes give zeros).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomWalkPE } from '../src/graph/rwse.js';
import { Rng } from './helpers/rng.js';

function reference(n: number, ei: Int32Array, K: number): Float32Array {
  const E = ei.length / 2, deg = new Float64Array(n), P = new Float64Array(n * n);
  for (let e = 0; e < E; e++) deg[ei[e]]++;
  for (let e = 0; e < E; e++) P[ei[e] * n + ei[E + e]] = 1 / Math.max(deg[ei[e]], 1);
  const out = new Float32Array(n * K);
  let A = P.slice();
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) out[i * K + k] = A[i * n + i];
    const B = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let l = 0; l < n; l++) { const v = P[i * n + l]; for (let j = 0; j < n; j++) B[i * n + j] += v * A[l * n + j]; }
    A = B;
  }
  return out;
}

function graph(rng: Rng, n: number, undirected: boolean): Int32Array {
  const s: number[] = [], t: number[] = [];
  for (let e = 0; e < 2 * n; e++) {
    const a = rng.int(n - 1), b = rng.int(n - 1); // node n-1 stays isolated
    s.push(a); t.push(b);
    if (undirected) { s.push(b); t.push(a); }
  }
  s.push(0, 0); t.push(1, 1); if (undirected) { s.push(1, 1); t.push(0, 0); } // a duplicated pair
  return Int32Array.from([...s, ...t]);
}

for (const undirected of [true, false]) {
  it(`randomWalkPE equals dense powers of D^-1 A (${undirected ? 'undirected: symmetric path' : 'directed: general path'})`, () => {
    const rng = new Rng(undirected ? 3 : 4);
    for (const [n, K] of [[9, 20], [14, 7], [5, 1]]) {
      const ei = graph(rng, n, undirected);
      const got = randomWalkPE(n, ei, K), want = reference(n, ei, K);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(got[i] - want[i]) <= 1e-7 * Math.max(1, Math.abs(want[i])), `n=${n} K=${K} [${i}]: ${got[i]} vs ${want[i]}`);
      }
      for (let k = 0; k < K; k++) assert.equal(got[(n - 1) * K + k], 0, 'isolated node: zero encoding');
    }
  });
}
