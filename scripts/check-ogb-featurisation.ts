/**
 * Featurise every SMILES of ogbg-molhiv's source table (HIV.csv) with our OGB
 * featuriser and compare with the OGB-layout raw/ files, column by column.
 *
 *   node --import tsx scripts/check-ogb-featurisation.ts [datasetDir] [limit]
 *
 * datasetDir defaults to ../shared/datasets/ogbg-molhiv. Prints the agreement
 * per feature column (% of rows identical), the count checks, and the differing
 * molecules. Takes about a minute for the 41127 molecules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRDKit } from '../src/chem/rdkit.js';
import { ogbFeaturiser } from '../src/chem/ogb.js';
import { compareWithOgbRaw, pct, readOgbRaw } from '../src/chem/ogb_compare.js';
import { parseCsv } from '../src/data/smiles.js';

const dir = process.argv[2] ?? '../shared/datasets/ogbg-molhiv';
const csvPath = join(dir, 'HIV.csv');
const table = parseCsv(readFileSync(csvPath, 'utf8'), csvPath);
const col = table.header.indexOf('smiles');
if (col < 0) throw new Error(`${csvPath}: no 'smiles' column in header ${table.header.join(',')}`);
const smiles = table.rows.map((r) => r[col]);
const limit = Math.min(Number(process.argv[3] ?? smiles.length), smiles.length);

const t0 = performance.now();
const raw = readOgbRaw(join(dir, 'raw'));
if (raw.numNodes.length !== smiles.length) {
  throw new Error(`${dir}: raw/ has ${raw.numNodes.length} graphs but HIV.csv has ${smiles.length} rows`);
}
const t1 = performance.now();
const rd = await loadRDKit();
const res = compareWithOgbRaw(smiles, raw, ogbFeaturiser(rd), 0, limit, 100);
const t2 = performance.now();

console.log(`graphs compared: ${res.graphs} (raw read ${((t1 - t0) / 1000).toFixed(1)} s, featurise+compare ${((t2 - t1) / 1000).toFixed(1)} s, ${((t2 - t1) / res.graphs).toFixed(2)} ms/molecule)`);
console.log(`featuriser failures: ${res.failed.length}`);
for (const f of res.failed.slice(0, 20)) console.log(`  graph ${f.graph} ${f.smiles}: ${f.error}`);
console.log(`node count identical: ${res.sameNodeCount}/${res.graphs} (${pct(res.sameNodeCount, res.graphs)})`);
console.log(`bond count identical: ${res.sameEdgeCount}/${res.graphs} (${pct(res.sameEdgeCount, res.graphs)})`);
console.log(`bond list (begin,end in order) identical: ${res.sameEdgeList}/${res.graphs} (${pct(res.sameEdgeList, res.graphs)})`);
console.log('| column | rows | identical | agreement |');
console.log('| --- | --- | --- | --- |');
for (const c of [...res.atom.map((c) => ({ ...c, column: 'atom ' + c.column })), ...res.bond.map((c) => ({ ...c, column: 'bond ' + c.column }))]) {
  console.log(`| ${c.column} | ${c.rows} | ${c.identical} | ${pct(c.identical, c.rows)} |`);
}
// Classify: which differing molecules contain an element outside the common organic set?
const ORGANIC = new Set(['B', 'C', 'N', 'O', 'F', 'P', 'S', 'Cl', 'Br', 'I', 'H', 'Se', 'Si', 'c', 'n', 'o', 's', 'p', 'se', 'b']);
const hasOther = (smi: string): boolean => [...smi.matchAll(/\[\d*([A-Z][a-z]?|[a-z]{1,2})/g)].some((m) => !ORGANIC.has(m[1]));
const all = compareWithOgbRaw(smiles, raw, ogbFeaturiser(rd), 0, limit, Infinity);
const withOther = all.differing.filter((d) => hasOther(d.smiles)).length + all.failed.filter((d) => hasOther(d.smiles)).length;
console.log(`molecules with any difference: ${res.numDiffering} (${withOther} of them contain a metal or other non-organic element)`);
for (const d of res.differing) console.log(`  graph ${d.graph} ${d.smiles}: ${d.what}`);
