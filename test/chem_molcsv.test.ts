import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMoleculeCsv } from '../src/data/molcsv.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { murckoScaffold, scaffoldSplit } from '../src/chem/scaffold.js';
import { zincFeaturiser } from '../src/chem/zinc.js';

const dir = mkdtempSync(join(tmpdir(), 'molcsv-'));
function csv(name: string, text: string): string { const p = join(dir, name); writeFileSync(p, text); return p; }

test('binary targets with missing cells, OGB features, column split', async () => {
  const p = csv('a.csv', '\ufeffsmiles,t1,t2,part\nCCO,1,,train\nc1ccccc1,0,1,valid\n"CC(=O)O",,0,test\n'); // BOM: as Excel saves UTF-8 CSV
  const ds = await loadMoleculeCsv(p, { targetColumns: ['t1', 't2'], split: { column: 'part' } });
  assert.equal(ds.task, 'binary_class');
  assert.equal(ds.numTasks, 2);
  assert.deepEqual(Array.from(ds.graphs[0].y), [1, NaN]);
  assert.deepEqual(Array.from(ds.graphs[2].y), [NaN, 0]);
  assert.deepEqual(ds.nodeCatDims, [119, 5, 12, 12, 10, 6, 6, 2, 2]);
  assert.equal(ds.graphs[1].numNodes, 6);
  assert.deepEqual([...ds.officialSplit!.train, ...ds.officialSplit!.val, ...ds.officialSplit!.test], [0, 1, 2]);
});

test('regression, random split is seeded and 80/10/10, other featuriser', async () => {
  const rows = Array.from({ length: 20 }, (_, i) => `${'C'.repeat(i + 1)},${(i * 0.5).toFixed(1)}`);
  const p = csv('b.csv', 'smi,y\n' + rows.join('\n') + '\n');
  const rd = await loadRDKit();
  const a = await loadMoleculeCsv(p, { smilesColumn: 'smi', targetColumns: ['y'], split: 'random', seed: 5, featuriser: zincFeaturiser(rd) });
  const b = await loadMoleculeCsv(p, { smilesColumn: 'smi', targetColumns: ['y'], split: 'random', seed: 5 });
  assert.equal(a.task, 'regression');
  assert.deepEqual(a.nodeCatDims, [28]);
  assert.deepEqual([a.officialSplit!.train.length, a.officialSplit!.val.length, a.officialSplit!.test.length], [16, 2, 2]);
  assert.deepEqual(a.officialSplit, b.officialSplit);
});

test('an unparsable SMILES names file, line and SMILES; skipInvalid counts it', async () => {
  const p = csv('c.csv', 'smiles,y\nCCO,1\nC1CC,0\nCC,1\n');
  await assert.rejects(loadMoleculeCsv(p, { targetColumns: ['y'], split: 'random' }), (e: Error) =>
    e.message.includes('c.csv:3') && e.message.includes('"C1CC"'));
  const ds = await loadMoleculeCsv(p, { targetColumns: ['y'], split: 'random', skipInvalid: true });
  assert.equal(ds.graphs.length, 2);
  assert.deepEqual(ds.skipped.map((s) => s.line), [3]);
  await assert.rejects(loadMoleculeCsv(p, { targetColumns: ['nope'], split: 'random' }), /no column 'nope'/);
});

test('Murcko scaffolds (RDKit conventions) and the greedy scaffold split', async () => {
  const rd = await loadRDKit();
  assert.equal(murckoScaffold(rd, 'CC(=O)Nc1ccccc1'), 'c1ccccc1');
  assert.equal(murckoScaffold(rd, 'O=C1CCCCC1C'), 'O=C1CCCCC1'); // exocyclic double bond kept
  assert.equal(murckoScaffold(rd, 'Cn1ccc2ccccc21'), 'c1ccc2[nH]ccc2c1'); // aromatic N gets its H
  assert.equal(murckoScaffold(rd, 'c1ccccc1CCc1ccncc1'), 'c1ccc(CCc2ccncc2)cc1'); // linker kept
  assert.equal(murckoScaffold(rd, 'CCCC'), '');
  // groups: A x5, B x3, C x1, D x1 over 10 molecules -> train gets A (5 <= 8) then B (8 <= 8), C -> val, D -> test
  const keys = ['A', 'B', 'A', 'C', 'A', 'B', 'A', 'D', 'A', 'B'];
  const s = scaffoldSplit(keys);
  assert.deepEqual(Array.from(s.train), [0, 1, 2, 4, 5, 6, 8, 9]);
  assert.deepEqual(Array.from(s.val), [7]); // ties of size 1: larger first index first (D at 7 before C at 3)
  assert.deepEqual(Array.from(s.test), [3]);
});

test('missing or misspelt options, and a bad split column value, are errors that say what is accepted', async () => {
  const p = csv('d.csv', 'smiles,y,part\nCCO,1,train\nCC,0,holdout\n');
  const bad = <T>(o: T) => o as unknown as never;
  await assert.rejects(loadMoleculeCsv(p, bad({ split: 'random' })), /^Error: loadMoleculeCsv: targetColumns must name the target column\(s\), e\.g\. \['y'\], got undefined$/);
  await assert.rejects(loadMoleculeCsv(p, bad({ targetColumns: ['y'] })), /^Error: loadMoleculeCsv: split must be 'random', 'scaffold' or \{ column: NAME \}, got undefined$/);
  await assert.rejects(loadMoleculeCsv(p, bad({ targetColumns: ['y'], split: 'scafold' })), /got "scafold"$/);
  await assert.rejects(loadMoleculeCsv(p, bad({ targetColumns: ['y'], split: 'random', smiles_column: 'smiles' })), /unknown option "smiles_column" \(did you mean smilesColumn\?\)/);
  await assert.rejects(loadMoleculeCsv(p, { targetColumns: ['y'], split: { column: 'part' } }), /d\.csv:3: split column 'part' must be train, valid\/val or test, got "holdout"$/);
});
