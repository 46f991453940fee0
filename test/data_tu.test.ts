// TU format: quirks taken in stride, and malformed files stopped with file + line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTU } from '../src/data/tu.js';
import { DataError } from '../src/data/errors.js';

/** Write a tiny TU folder: files maps part -> content. */
function tuDir(files: Record<string, string>, name = 'T'): string {
  const d = mkdtempSync(join(tmpdir(), 'gf-tu-'));
  for (const [part, text] of Object.entries(files)) writeFileSync(join(d, `${name}_${part}.txt`), text);
  return d;
}

// Two graphs: graph 1 = triangle 1-2-3 (+ isolated node 4), graph 2 = edge 5-6.
const GOOD = {
  A: '1, 2\n2, 1\n2, 3\n3, 2\n1, 3\n3, 1\n5, 6\n6, 5\n',
  graph_indicator: '1\n1\n1\n1\n2\n2\n',
  graph_labels: '-1\n1\n',
  node_labels: '0\n2\n2\n0\n1\n0\n',
  edge_labels: '1\n1\n2\n2\n1\n1\n3\n3\n',
};

function expectDataError(fn: () => unknown, file: RegExp, line: number, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${e}`);
    assert.match(e.file, file);
    assert.equal(e.line, line, `line in: ${e.message}`);
    assert.match(e.message, msg);
    assert.ok(e.message.includes(e.file));
    return true;
  });
}

test('well-formed folder: graphs, features, labels -1/1 -> 0/1', () => {
  const d = tuDir(GOOD);
  try {
    const ds = loadTU(d, 'T');
    assert.equal(ds.graphs.length, 2);
    assert.deepEqual(ds.graphs.map((g) => g.numNodes), [4, 2]);
    assert.deepEqual(Array.from(ds.graphs[0].edgeIndex), [0, 0, 1, 1, 2, 2, 1, 2, 0, 2, 0, 1]); // sorted (src, tgt)
    assert.deepEqual(Array.from(ds.graphs[1].edgeIndex), [0, 1, 1, 0]);
    assert.deepEqual(ds.classLabels, ['-1', '1']);
    assert.deepEqual(ds.graphs.map((g) => g.y[0]), [0, 1]);
    assert.equal(ds.nodeFeatDim, 3); // labels 0..2
    assert.deepEqual(Array.from(ds.graphs[0].nodeFeat!.subarray(0, 6)), [1, 0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(ds.graphs[1].nodeCat!), [1, 0]);
    // edge labels 1..3 -> ids 0..2, one-hot width 3; sorted edge (0,2) is A line 5 (label 1)
    assert.deepEqual(ds.edgeCatDims, [3]);
    assert.deepEqual(Array.from(ds.graphs[0].edgeCat!), [0, 0, 0, 1, 0, 1]);
    assert.deepEqual(Array.from(ds.graphs[1].edgeFeat!), [0, 0, 1, 0, 0, 1]);
  } finally { rmSync(d, { recursive: true }); }
});

test('quirks: a UTF-8 byte-order mark, CRLF, padded numbers, spaces, repeated pairs, one-direction edges, self loops, labels 1/2', () => {
  const d = tuDir({
    A: '\ufeff 1 ,  2 \r\n2,1\r\n1, 2\r\n2, 3\r\n3, 3\r\n005, 6\r\n\r\n',
    graph_indicator: '1\r\n1\r\n  1\r\n1\r\n2\r\n2\r\n',
    graph_labels: '\ufeff2\r\n1\r\n',
  });
  try {
    const ds = loadTU(d, 'T');
    // repeated 1-2 merged, 2->3 kept one-way, self loop 3-3 dropped, 5->6 one-way
    assert.deepEqual(Array.from(ds.graphs[0].edgeIndex), [0, 1, 1, 1, 0, 2]);
    assert.deepEqual(Array.from(ds.graphs[1].edgeIndex), [0, 1]);
    assert.deepEqual(ds.graphs.map((g) => g.y[0]), [1, 0]); // classes 1 -> 0, 2 -> 1
    // no node labels: one-hot out-degree, max out-degree 2 (node 2) -> width 3; node 4 isolated -> degree 0
    assert.equal(ds.nodeFeatDim, 3);
    assert.deepEqual(Array.from(ds.graphs[0].nodeFeat!), [0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0]);
    assert.deepEqual(Array.from(ds.graphs[1].nodeFeat!), [0, 1, 0, 1, 0, 0]);
    assert.match(ds.nodeFeatNote!, /one-hot out-degree/);
  } finally { rmSync(d, { recursive: true }); }
});

test('degree >= 1000: one normalised degree column (deg - mean) / std', () => {
  const n = 1002; // star: centre has out-degree 1001
  const lines: string[] = [];
  for (let i = 2; i <= n; i++) lines.push(`1, ${i}`, `${i}, 1`);
  const d = tuDir({ A: lines.join('\n') + '\n', graph_indicator: '1\n'.repeat(n), graph_labels: '0\n' });
  try {
    const ds = loadTU(d, 'T');
    assert.equal(ds.nodeFeatDim, 1);
    const deg = [1001, ...new Array(n - 1).fill(1)];
    const mean = deg.reduce((a, b) => a + b) / n;
    const std = Math.sqrt(deg.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    assert.ok(Math.abs(ds.graphs[0].nodeFeat![0] - (1001 - mean) / std) < 1e-4);
    assert.ok(Math.abs(ds.graphs[0].nodeFeat![1] - (1 - mean) / std) < 1e-5);
  } finally { rmSync(d, { recursive: true }); }
});

test('errors name the file, the line and what was expected', () => {
  const cases: [Record<string, string>, RegExp, number, RegExp][] = [
    // indicator count vs label count
    [{ ...GOOD, graph_labels: '-1\n' }, /_graph_labels\.txt$/, 2, /ends after 1 lines; expected 2/],
    [{ ...GOOD, graph_labels: '-1\n1\n1\n' }, /_graph_labels\.txt$/, 3, /extra line/],
    // edge past the last node
    [{ ...GOOD, A: GOOD.A + '6, 7\n' }, /_A\.txt$/, 9, /node id 7 is past the last node 6/],
    [{ ...GOOD, A: '0, 1\n' }, /_A\.txt$/, 1, /1-based/],
    // edge across graphs
    [{ ...GOOD, A: '1, 2\n4, 5\n' }, /_A\.txt$/, 2, /joins node 4 \(graph 1\) and node 5 \(graph 2\)/],
    // non-numeric tokens
    [{ ...GOOD, A: '1, 2\n2, x\n' }, /_A\.txt$/, 2, /"x" is not an integer/],
    [{ ...GOOD, node_labels: '0\n2\n2\nC\n1\n0\n' }, /_node_labels\.txt$/, 4, /"C" is not an integer/],
    // truncated: a line cut in half, a missing last line
    [{ ...GOOD, A: '1, 2\n2, 1\n2,' }, /_A\.txt$/, 3, /empty field/],
    [{ ...GOOD, node_labels: '0\n2\n2\n0\n1\n' }, /_node_labels\.txt$/, 6, /ends after 5 lines; expected 6/],
    [{ ...GOOD, edge_labels: '1\n1\n' }, /_edge_labels\.txt$/, 3, /expected 8/],
    // blank line in the middle, wrong field count
    [{ ...GOOD, graph_indicator: '1\n1\n\n1\n1\n2\n2\n' }, /_graph_indicator\.txt$/, 3, /empty line/],
    [{ ...GOOD, A: '1, 2, 3\n' }, /_A\.txt$/, 1, /expected 2 values/],
    // graph ids with a gap / not starting at 1
    [{ ...GOOD, graph_indicator: '1\n1\n1\n1\n3\n3\n' }, /_graph_indicator\.txt$/, 5, /graph id 3 follows 1/],
    [{ ...GOOD, graph_indicator: '2\n2\n2\n2\n3\n3\n' }, /_graph_indicator\.txt$/, 1, /expected 1/],
    // empty dataset
    [{ ...GOOD, graph_indicator: '' }, /_graph_indicator\.txt$/, 0, /no nodes/],
  ];
  for (const [files, file, line, msg] of cases) {
    const d = tuDir(files);
    try { expectDataError(() => loadTU(d, 'T'), file, line, msg); } finally { rmSync(d, { recursive: true }); }
  }
  // missing required files
  for (const part of ['A', 'graph_indicator', 'graph_labels']) {
    const files: Record<string, string> = { ...GOOD };
    delete files[part];
    const d = tuDir(files);
    try { expectDataError(() => loadTU(d, 'T'), new RegExp(`T_${part}\\.txt$`), 0, /missing required file/); } finally { rmSync(d, { recursive: true }); }
  }
});
