// The trained models that ship in the package (models/<NAME>/, issue 17): both
// are there, each folder is consistent (about.json, config.json, the weights'
// epoch), `predict --model NAME --smiles ...` works with no dataset anywhere and
// gives what the library gives, and `eval --model NAME` on the real test split
// reproduces the test metric about.json states, so the docs' figures are the
// weights' own.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliRunner } from './cli_helpers.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { loadTrainedModel } from '../src/train/load.js';
import { shippedModel, shippedModels } from '../src/train/shipped.js';
import { tmp } from './report_helpers.js';

const DATA = join('..', 'shared', 'datasets');
const root = tmp('shipped');
after(() => rmSync(root, { recursive: true, force: true }));
const empty = join(root, 'no-data');
mkdirSync(empty, { recursive: true });
const cli = cliRunner(join(root, 'home'));

test('the package ships ZINC and ogbg-molhiv, each folder consistent', () => {
  const all = shippedModels();
  assert.deepEqual(all.map((m) => m.name), ['ZINC', 'ogbg-molhiv']);
  for (const m of all) {
    const config = JSON.parse(readFileSync(join(m.dir, 'config.json'), 'utf8'));
    assert.equal(config.dataset, m.dataset, m.name);
    assert.equal(config.train.metric, m.metric, m.name);
    assert.equal(config.data_root, null, `${m.name}: the training machine's data root must not ship`);
    assert.ok(m.epoch >= 1 && m.epoch <= m.epochs, `${m.name}: epoch ${m.epoch} of ${m.epochs}`);
    assert.ok(Number.isFinite(m.val) && Number.isFinite(m.test), m.name);
    assert.match(m.source, /^results\//, `${m.name}: names its run folder`);
    assert.equal(readSafetensors(join(m.dir, 'model.safetensors')).metadata.epoch, String(m.epoch), m.name);
    const { state } = loadTrainedModel(m.dir);
    assert.equal(state.epoch, m.epoch);
  }
  // Names are matched without case, and molhiv is short for ogbg-molhiv.
  assert.equal(shippedModel('zinc').name, 'ZINC');
  assert.equal(shippedModel('molhiv').name, 'ogbg-molhiv');
  assert.throws(() => shippedModel('QM9'), /--model QM9: no such shipped model; the package ships ZINC, ogbg-molhiv/);
});

test('predict --model works with no dataset folder and equals --checkpoint on the same folder', async () => {
  for (const name of ['ZINC', 'ogbg-molhiv']) {
    const dir = shippedModel(name).dir;
    const env = { GRADFORMER_DATA: empty };
    const a = await cliRunner(join(root, 'home'), env)('predict', '--model', name, '--smiles', 'CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1');
    assert.equal(a.code, 0, a.stderr);
    const preds = JSON.parse(a.stdout);
    assert.equal(preds.dataset, name);
    assert.equal(preds.predictions.length, 3);
    for (const p of preds.predictions) {
      // ZINC: a number; ogbg-molhiv: one probability per task (and the logits).
      for (const v of [p.prediction].flat()) assert.ok(Number.isFinite(v), `${name} ${p.id}: ${JSON.stringify(p)}`);
    }
    const b = await cli('predict', '--checkpoint', dir, '--smiles', 'CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1');
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(JSON.parse(b.stdout), preds);
  }
});

test('eval --model reproduces the test metric about.json states', { skip: !existsSync(DATA) && 'no shared datasets' }, async () => {
  for (const m of shippedModels()) {
    const r = await cli('eval', '--model', m.name, '--data-root', DATA, '--json');
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.equal(got.metric, m.metric);
    assert.equal(got.epoch, m.epoch);
    assert.ok(Math.abs(got.value - m.test) < 1e-9, `${m.name}: test ${m.metric} ${got.value}, about.json says ${m.test}`);
  }
});

test('models lists them; --model and --checkpoint together, or neither, are errors', async () => {
  const l = await cli('models', '--json');
  assert.equal(l.code, 0, l.stderr);
  assert.deepEqual(JSON.parse(l.stdout).map((m: { name: string }) => m.name), ['ZINC', 'ogbg-molhiv']);
  const both = await cli('predict', '--model', 'ZINC', '--checkpoint', root, '--smiles', 'CCO');
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /give either --checkpoint DIR or --model NAME, not both/);
  const none = await cli('eval');
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /give --checkpoint DIR \(a run folder\) or --model NAME/);
  const bad = await cli('predict', '--model', 'nope', '--smiles', 'CCO');
  assert.match(bad.stderr, /--model nope: no such shipped model/);
});

test('predict --model on another dataset\'s graphs is refused: its ids are not the model\'s vocabulary', async () => {
  for (const name of ['ZINC', 'ogbg-molhiv']) {
    const r = await cli('predict', '--model', name, '--input', 'MUTAG'); // MUTAG is bundled: no dataset folder needed
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^gradformer: error: --input MUTAG does not fit this model, trained on ${name}: its node_method \\w+ reads ${name}'s atom and bond ids, .*--smiles\\)\n$`));
  }
});
