import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lapPE, lapEigenvalues } from '../src/graph/lappe.js';

function undirected(pairs: [number, number][]): Int32Array {
  const E = pairs.length * 2, ei = new Int32Array(2 * E);
  pairs.forEach(([i, j], k) => { ei[2 * k] = i; ei[E + 2 * k] = j; ei[2 * k + 1] = j; ei[E + 2 * k + 1] = i; });
  return ei;
}
const path = (n: number) => undirected(Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]));
const ring = (n: number) => undirected(Array.from({ length: n }, (_, i) => [i, (i + 1) % n] as [number, number]));

/** Dense L = I - D^-1/2 A D^-1/2. */
function laplacian(n: number, ei: Int32Array): number[][] {
  const E = ei.length / 2, A = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let e = 0; e < E; e++) A[ei[e]][ei[E + e]] = 1;
  const d = A.map((r) => r.reduce((s, x) => s + x, 0));
  return A.map((r, i) => r.map((a, j) => (i === j ? 1 : 0) - (a ? a / Math.sqrt(d[i] * d[j]) : 0)));
}

function checkEigen(n: number, ei: Int32Array, k: number, expected: number[]): void {
  const pe = lapPE(n, ei, k), vals = lapEigenvalues(n, ei, k), L = laplacian(n, ei);
  for (let c = 0; c < expected.length; c++) assert.ok(Math.abs(vals[c] - expected[c]) < 1e-9, `eigenvalue ${c}: ${vals[c]} vs ${expected[c]}`);
  const cols = Math.min(k, n - 1);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < n; i++) {
      let lv = 0;
      for (let j = 0; j < n; j++) lv += L[i][j] * pe[j * k + c];
      assert.ok(Math.abs(lv - vals[c] * pe[i * k + c]) < 1e-5, `L v = lambda v fails at column ${c}, row ${i}`);
    }
    for (let c2 = 0; c2 <= c; c2++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += pe[i * k + c] * pe[i * k + c2];
      assert.ok(Math.abs(dot - (c === c2 ? 1 : 0)) < 1e-5, `columns ${c},${c2} not orthonormal: ${dot}`);
    }
  }
  for (let c = cols; c < k; c++) for (let i = 0; i < n; i++) assert.equal(pe[i * k + c], 0, 'padding must be 0');
}

test('path graph: eigenvalues 1 - cos(pi j/(n-1)), trivial one skipped', () => {
  const n = 6;
  // Normalised Laplacian of a path P_n: lambda_j = 1 - cos(pi j / (n - 1)), j = 0..n-1.
  checkEigen(n, path(n), 3, [1, 2, 3].map((j) => 1 - Math.cos(Math.PI * j / (n - 1))));
});

test('ring: eigenvalues 1 - cos(2 pi j / n), including repeated ones', () => {
  const n = 8;
  const all = Array.from({ length: n }, (_, j) => 1 - Math.cos(2 * Math.PI * j / n)).sort((a, b) => a - b);
  checkEigen(n, ring(n), 5, all.slice(1, 6));
});

test('small graphs are zero-padded; isolated node and empty graph handled', () => {
  checkEigen(3, path(3), 5, [1, 2]);
  const pe = lapPE(1, new Int32Array(0), 4);
  assert.deepEqual(Array.from(pe), [0, 0, 0, 0]);
  // two nodes joined + one isolated node: L has eigenvalues 0, 1 (isolated row), 2
  checkEigen(3, undirected([[0, 1]]), 2, [1, 2]);
  assert.throws(() => lapPE(2, Int32Array.from([0, 5]), 2), /outside/);
});
