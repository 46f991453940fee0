// The Node-free prediction library (src/web/predict.ts, in gradformer/web): a
// model trained by the CLI's trainer, loaded from its run folder's bytes (and
// through a URL), predicts for ten SMILES what `gradformer predict --smiles`
// prints, within 1e-6, on the native and on the wasm kernels; its attention and
// decay views are well formed (softmax rows, the decay formula on the molecule's
// distances); an ogbg-molhiv model gets OGB features and the CLI's binary rows;
// bad SMILES, a non-molecule model and wrong files fail with messages naming
// what is wrong; the page's CSV reader takes the smiles column.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliRunner } from './cli_helpers.js';
import { haveZinc, tinyMolhivRun, tinyZincRun, zincTestSmiles } from './web_helpers.js';
import { tinyRun, tmp } from './report_helpers.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { readSmilesCsv } from '../src/data/smiles.js';
import { decayValue } from '../src/report/data.js';
import { kernels, setBackend } from '../src/tensor/backend.js';
import type { PredictionRow } from '../src/train/predict_rows.js';
import { loadModel, loadModelFromUrl, predictSmiles, type LoadedModel } from '../src/web/predict.js';

const root = tmp('web-predict');
after(() => rmSync(root, { recursive: true, force: true }));
// Eight ZINC test molecules and two small ones: three batches of the run's batch size 4.
const SMILES = [...(haveZinc ? zincTestSmiles(8) : []), 'CCO', 'c1ccccc1'];

/** Rows equal: the same ids and keys, every number within 1e-6. */
function assertRowsClose(got: PredictionRow[], want: PredictionRow[], what: string): void {
  assert.equal(got.length, want.length, what);
  let worst = 0;
  got.forEach((g, r) => {
    const w = want[r];
    assert.equal(g.id, w.id, what);
    assert.deepEqual(Object.keys(g).sort(), Object.keys(w).sort(), what);
    for (const k of Object.keys(w) as (keyof PredictionRow)[]) {
      if (k === 'id') continue;
      const a = [g[k]].flat() as number[], b = [w[k]].flat() as number[];
      assert.equal(a.length, b.length, `${what}: ${String(k)} of ${String(w.id)}`);
      a.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - b[i]));
        assert.ok(Math.abs(v - b[i]) <= 1e-6, `${what}: ${String(k)} of ${String(w.id)}: ${v} vs the CLI's ${b[i]}`);
      });
    }
  });
  process.stdout.write(`# ${what}: ${got.length} rows, largest difference from the CLI ${worst.toExponential(2)}\n`);
}

describe('web predict library', { skip: !haveZinc && 'no shared datasets (../shared/datasets/ZINC)' }, () => {
  let dir = '';
  let files: { config: Uint8Array; weights: Uint8Array };
  before(async () => {
    dir = await tinyZincRun(join(root, 'zinc'));
    files = { config: readFileSync(join(dir, 'config.json')), weights: readFileSync(join(dir, 'best', 'model.safetensors')) };
  });

  for (const backend of ['native', 'wasm'] as const) {
    it(`predicts what gradformer predict --smiles prints (${backend} kernels)`, async () => {
      const res = await cliRunner(join(root, 'home'), { GRADFORMER_BACKEND: backend })('predict', '--checkpoint', dir, '--smiles', ...SMILES);
      assert.equal(res.code, 0, res.stderr);
      const want = JSON.parse(res.stdout) as { dataset: string; task: string; predictions: PredictionRow[] };
      const was = kernels();
      setBackend(backend);
      try {
        assert.equal(kernels().name, backend);
        const m = loadModel(files);
        const rd = await loadRDKit();
        const progress: [number, number][] = [];
        const plain = await predictSmiles(m, rd, SMILES, { onProgress: (done, total) => { progress.push([done, total]); } });
        // One call per batch of the run's batch size (4).
        assert.deepEqual(progress, [[4, 10], [8, 10], [10, 10]]);
        assert.equal(plain.dataset, 'ZINC');
        assert.equal(plain.task, want.task);
        assert.equal(plain.graphs, null);
        assertRowsClose(plain.predictions, want.predictions, `library, ${backend}`);
        // With the views: the same forward passes with the attention kept.
        const seen = await predictSmiles(m, rd, SMILES, { attention: true });
        assertRowsClose(seen.predictions, want.predictions, `library with attention, ${backend}`);
        checkViews(m, seen.graphs!, seen.decay);
      } finally {
        (await import('../src/tensor/active.js')).useKernels(was);
      }
    });
  }

  it('loads the run folder through a URL', async () => {
    const served = new Map([['http://x.test/runs/zinc/config.json', files.config], ['http://x.test/runs/zinc/best/model.safetensors', files.weights]]);
    const asked: string[] = [];
    const fakeFetch = (async (u: string) => {
      asked.push(u);
      const b = served.get(u);
      return b ? new Response(new Uint8Array(b).buffer) : new Response('missing', { status: 404 });
    }) as typeof fetch;
    const m = await loadModelFromUrl('http://x.test/runs/zinc', fakeFetch);
    assert.deepEqual(asked.sort(), [...served.keys()].sort());
    const rd = await loadRDKit();
    const [a, b] = [await predictSmiles(m, rd, SMILES), await predictSmiles(loadModel(files), rd, SMILES)];
    assert.deepEqual(a.predictions, b.predictions);
    await assert.rejects(loadModelFromUrl('http://x.test/runs/other/', fakeFetch),
      /cannot load http:\/\/x\.test\/runs\/other\/(config\.json|best\/model\.safetensors) \(HTTP 404\); the run folder must hold config\.json and best\/model\.safetensors/);
  });

  it('names the SMILES RDKit rejects, and the file that is not what it should be', async () => {
    const m = loadModel(files);
    const rd = await loadRDKit();
    await assert.rejects(predictSmiles(m, rd, ['CCO', 'CC(C', 'CCN']), /SMILES #2 "CC\(C"/);
    // Past the first batch, the position still counts from the start of the list.
    await assert.rejects(predictSmiles(m, rd, ['CCO', 'CCN', 'CCC', 'CCCl', 'CCOC', 'C1CC']), /SMILES #6 "C1CC"/);
    await assert.rejects(predictSmiles(m, rd, ['CCO', '[Na+].[Cl-]']), /SMILES #2 "\[Na\+\]\.\[Cl-\]": .*not in the 28-type dictionary/);
    assert.throws(() => loadModel({ config: files.weights, weights: files.weights }), /^Error: config\.json: not JSON/);
    assert.throws(() => loadModel({ config: '{"dataset": "ZINC"}', weights: files.weights }), /config\.json: not a gradformer run configuration/);
    assert.throws(() => loadModel({ config: files.config, weights: files.config }), /^Error: model\.safetensors: .*; give the model\.safetensors of the run folder.s best\/ checkpoint/);
    // Weights of another model: the file and the mismatch are named.
    const cfg = JSON.parse(new TextDecoder().decode(files.config));
    cfg.model.channels = 32;
    assert.throws(() => loadModel({ config: JSON.stringify(cfg), weights: files.weights }), /model\.safetensors \(for the model of config\.json\)/);
  });
});

it('an ogbg-molhiv model featurises as OGB and prints the CLI\'s binary rows (sigmoid and logits)', async () => {
  const dir = await tinyMolhivRun(join(root, 'molhiv'));
  const smiles = ['CCO', 'c1ccc2ncccc2c1', 'CC(=O)Nc1ccc(O)cc1', 'O=C(O)c1ccccc1O'];
  const res = await cliRunner(join(root, 'home'))('predict', '--checkpoint', dir, '--smiles', ...smiles);
  assert.equal(res.code, 0, res.stderr);
  const want = JSON.parse(res.stdout) as { task: string; predictions: PredictionRow[] };
  assert.equal(want.task, 'binary_class');
  const m = loadModel({ config: readFileSync(join(dir, 'config.json')), weights: readFileSync(join(dir, 'best', 'model.safetensors')) });
  const got = await predictSmiles(m, await loadRDKit(), smiles, { attention: true });
  assert.equal(got.dataset, 'ogbg-molhiv');
  assertRowsClose(got.predictions, want.predictions, 'library, ogbg-molhiv');
  // OGB's nine atom features: the first is the atomic number - 1 (C = 5, N = 6, O = 7).
  assert.deepEqual(got.graphs![0].nodeLabel, [5, 5, 7]);
});

it('says a non-molecule model cannot predict from SMILES', async () => {
  const dir = await tinyRun(join(root, 'mutag'), 1, 1);
  const m = loadModel({ config: readFileSync(join(dir, 'config.json')), weights: readFileSync(join(dir, 'best', 'model.safetensors')) });
  await assert.rejects(predictSmiles(m, await loadRDKit(), ['CCO']),
    /this model was trained on MUTAG; predictions from SMILES need a molecule model \(ZINC, ogbg-molhiv\)/);
});

/** Every view: shapes, softmax rows, and the decay mask computed from the molecule's distances. */
function checkViews(m: LoadedModel, graphs: NonNullable<Awaited<ReturnType<typeof predictSmiles>>['graphs']>,
  decay: Awaited<ReturnType<typeof predictSmiles>>['decay']): void {
  const { num_layers: L, nhead: H, slope } = m.model.config;
  const hop = Array.from(m.model.hop.toHost());
  assert.equal(graphs.length, SMILES.length);
  assert.deepEqual(decay.hop, hop);
  assert.equal(decay.curves.length, H);
  for (const g of graphs) {
    const n = g.n;
    assert.equal(g.spd.length, n * n);
    assert.equal(g.mask.length, H);
    assert.equal(g.attn.length, L);
    for (let h = 0; h < H; h++) {
      for (let k = 0; k < n * n; k++) {
        const want = decayValue(g.spd[k], hop[h], decay.gamma[h], slope);
        assert.ok(Math.abs(g.mask[h][k] - want) <= 1e-6 * Math.max(1, want), `mask head ${h} entry ${k}: ${g.mask[h][k]} vs ${want}`);
      }
      for (let l = 0; l < L; l++) {
        assert.equal(g.attn[l][h].length, n * n);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += g.attn[l][h][i * n + j];
          assert.ok(Math.abs(s - 1) < 1e-5, `attention row ${i} of layer ${l} head ${h} sums to ${s}`);
        }
      }
    }
    for (let k = 0; k < n * n; k++) if (g.spd[k] < 510) assert.ok(g.spd[k] <= decay.dMax);
    assert.ok(g.edges.length >= n - 1, 'a molecule is connected');
  }
}

it('reads the SMILES column of a CSV for the page, naming the file and line of what is wrong', () => {
  assert.deepEqual(readSmilesCsv('id,smiles,y\n1,CCO,0\n2,,1\n3,"c1ccccc1",1\n', 'mols.csv'), { smiles: ['CCO', 'c1ccccc1'], lines: [2, 4] });
  assert.deepEqual(readSmilesCsv('mol\nCCN\n', 'a.csv', 'mol').smiles, ['CCN']);
  assert.throws(() => readSmilesCsv('id,smi\n1,CCO\n', 'bad.csv'), /^DataError: bad\.csv:1: no column 'smiles' \(header: id, smi\)$/);
  assert.throws(() => readSmilesCsv('smiles,y\n,1\n', 'empty.csv'), /empty\.csv: column 'smiles' holds no SMILES/);
  assert.throws(() => readSmilesCsv('smiles,y\nCCO\n', 'short.csv'), /short\.csv:2: expected 2 fields/);
});
