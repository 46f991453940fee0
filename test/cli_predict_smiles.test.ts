// `gradformer predict --smiles` end to end: a molecule typed as SMILES gets the
// prediction the model gives the same molecule as a ZINC dataset graph (the
// featuriser reproduces the dataset's atom and bond ids, test/chem_zinc.test.ts),
// both `--smiles A B` and `--smiles A --smiles B` are accepted, and bad SMILES or
// a non-molecule model fail with a message naming what is wrong.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliRunner } from './cli_helpers.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { zincAtomsBonds } from '../src/chem/zinc.js';
import type { GraphDataset } from '../src/data/dataset.js';
import { GraphLoader } from '../src/data/loader.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { predict, train } from '../src/train/trainer.js';
import { tinyRun, tmp } from './report_helpers.js';

const ZINC = join('..', 'shared', 'datasets', 'ZINC');
const root = tmp('predict-smiles');
after(() => rmSync(root, { recursive: true, force: true }));

const cli = cliRunner(join(root, 'home'));

test('predict --smiles on a ZINC model gives the dataset graphs\' predictions', { skip: !existsSync(ZINC) && 'no shared datasets' }, async () => {
  // A tiny ZINC model trained for one epoch on 64 graphs: its weights are arbitrary
  // but fixed, which is all the comparison needs.
  const full = await loadDatasetByName('ZINC', join('..', 'shared', 'datasets'));
  const sp = full.officialSplit!;
  const pick = [...sp.train.slice(0, 64), ...sp.val.slice(0, 16), ...sp.test.slice(0, 16)];
  const ds: GraphDataset = { ...full, graphs: pick.map((i) => full.graphs[i]),
    officialSplit: { train: Int32Array.from({ length: 64 }, (_, i) => i), val: Int32Array.from({ length: 16 }, (_, i) => 64 + i),
      test: Int32Array.from({ length: 16 }, (_, i) => 80 + i) } };
  const run = buildRunConfig(ds, 'ZINC', { model: { num_layers: 1, channels: 16, nhead: 2, pe_dim: 8 }, train: { epochs: 1 } }, 0);
  const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
  const out = join(root, 'zinc');
  const { model } = train({ run, data: { ds, pre }, outDir: out });

  // The first test molecules whose SMILES featurise to exactly the dataset's atoms and bonds.
  const rd = await loadRDKit();
  const rows = readFileSync(join(ZINC, 'subset', 'test.jsonl'), 'utf8').trim().split('\n').slice(0, 16).map((l) => JSON.parse(l));
  const same = rows.map((r, i) => ({ i, smiles: r.smiles as string, ok: JSON.stringify(zincAtomsBonds(rd, r.smiles)) === JSON.stringify({ atoms: r.atoms, bonds: r.bonds }) }))
    .filter((r) => r.ok).slice(0, 4);
  assert.equal(same.length, 4);
  const want = predict(model, new GraphLoader(ds.graphs, pre, Int32Array.from(same, (s) => 80 + s.i), { batchSize: 4 }), false).out;

  const [a, b] = await Promise.all([
    cli('predict', '--checkpoint', out, '--smiles', same[0].smiles, same[1].smiles, '--smiles', same[2].smiles, same[3].smiles),
    cli('predict', '--checkpoint', out, '--format', 'csv', ...same.flatMap((s) => ['--smiles', s.smiles])),
  ]);
  assert.equal(a.code, 0, a.stderr);
  const preds = JSON.parse(a.stdout);
  assert.equal(preds.dataset, 'ZINC');
  assert.deepEqual(preds.predictions.map((p: { id: string }) => p.id), same.map((s) => s.smiles));
  // Bit for bit: the same graphs (atoms, bonds, their order) in one batch of the same
  // four, through the same weights and preprocessing.
  assert.deepEqual(preds.predictions.map((p: { prediction: number }) => p.prediction), Array.from(want));
  assert.equal(b.code, 0, b.stderr);
  const csv = b.stdout.trim().split('\n');
  assert.equal(csv[0], 'id,prediction');
  assert.deepEqual(csv.slice(1).map((l) => Number(l.slice(l.lastIndexOf(',') + 1))), preds.predictions.map((p: { prediction: number }) => p.prediction));

  // examples/predict_smiles.ts (the README's library path) prints the same predictions.
  const ex = await new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    execFile(process.execPath, ['--import', 'tsx', join('examples', 'predict_smiles.ts'), out, ...same.map((s) => s.smiles)],
      { cwd: join(import.meta.dirname, '..'), env: { ...process.env, GRADFORMER_THREADS: '1' } },
      (err, stdout, stderr) => res({ code: err ? 1 : 0, stdout, stderr }));
  });
  assert.equal(ex.code, 0, ex.stderr);
  assert.deepEqual(ex.stdout.trim().split('\n').map((l) => l.split('\t')), same.map((s, i) => [s.smiles, String(want[i])]));

  const [bad, ion] = await Promise.all([
    cli('predict', '--checkpoint', out, '--smiles', 'CC(C'),
    cli('predict', '--checkpoint', out, '--smiles', 'CCO', '[Na+].[Cl-]'),
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /CC\(C/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  assert.equal(ion.code, 1);
  assert.match(ion.stderr, /not in the 28-type dictionary/);
});

test('predict --smiles on a model of a non-molecule dataset says which models accept it', async () => {
  const out = await tinyRun(join(root, 'mutag'), 1, 1);
  const r = await cli('predict', '--checkpoint', out, '--smiles', 'CCO');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--smiles works for molecule models \(ZINC, ogbg-molhiv\); this checkpoint was trained on MUTAG/);
});
