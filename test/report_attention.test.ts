/**
 * The report's model-derived data against direct computations: decay masks
 * sliced from mask layout vs gamma ** leaky_relu(spd - hop) from BFS distances,
 * attention blocks of a multi-graph batch vs each graph run alone, the hop of
 * the best checkpoint vs the log, and experiment summaries vs results.csv.
 */
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { shortestPathDistances } from '../src/graph/spd.js';
import { computeAttention } from '../src/report/attention.js';
import { decayCurves, decayValue } from '../src/report/data.js';
import { parseLog } from '../src/train/runlog.js';
import { findRunDirs, groupStats, summariseRun } from '../src/report/experiment.js';
import { buildReportData } from '../src/report/index.js';
import { runSplit } from '../src/train/trainer.js';
import { mutag, tinyExperiment, tinyRun, tmp } from './report_helpers.js';

let runDir = '', expDir = '';
before(async () => {
  runDir = await tinyRun(join(tmp('rep-att'), 'run'), 5, 2);
  expDir = await tinyExperiment(join(tmp('rep-exp'), 'exp'), 2, 1);
});

test('decay masks of chosen validation graphs equal gamma ** leaky_relu(spd - hop_h, slope)', async () => {
  const { ds } = await mutag();
  const a = await computeAttention(join(runDir, 'best'), { graphs: [0, 1, 2], layer: 1 });
  const run = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
  const val = runSplit(run, ds).val;
  assert.equal(a.graphs.length, 3);
  assert.equal(a.heads, 4);
  let checked = 0, maxRel = 0;
  a.graphs.forEach((G, b) => {
    const g = ds.graphs[val[b]];
    assert.equal(G.index, val[b]);
    assert.equal(G.n, g.numNodes);
    const spd = shortestPathDistances(g.numNodes, g.edgeIndex);
    assert.deepEqual(G.spd, Array.from(spd));
    for (let h = 0; h < a.heads; h++) {
      for (let k = 0; k < G.n * G.n; k++) {
        const want = decayValue(spd[k], a.hop[h], a.gamma[h], a.slope);
        const rel = Math.abs(G.mask[h][k] - want) / Math.max(want, 1e-30);
        maxRel = Math.max(maxRel, rel);
        checked++;
      }
    }
  });
  // The model computes the mask in float32; float32 pow is good to a few ulp (1.2e-7 each).
  assert.ok(maxRel < 1e-6, `max relative error ${maxRel} over ${checked} mask entries`);
  // the hops were trained away from their initial value, so this is not a constant mask
  assert.ok(a.hop.some((h) => h !== 5), `hop ${a.hop}`);
});

test('attention blocks: rows sum to 1 and equal each graph run alone', async () => {
  const best = join(runDir, 'best');
  const all = await computeAttention(best, { graphs: [0, 1, 2], layer: 1 });
  for (const [b, pos] of [[0, 0], [1, 1], [2, 2]] as const) {
    const alone = await computeAttention(best, { graphs: [pos], layer: 1 });
    const G = all.graphs[b], S = alone.graphs[0];
    assert.equal(S.n, G.n);
    for (let h = 0; h < all.heads; h++) {
      for (let i = 0; i < G.n; i++) {
        let sum = 0;
        for (let j = 0; j < G.n; j++) sum += G.attn[h][i * G.n + j];
        assert.ok(Math.abs(sum - 1) < 1e-5, `graph ${b} head ${h} row ${i} sums to ${sum}`);
      }
      const d = Math.max(...G.attn[h].map((v, k) => Math.abs(v - S.attn[h][k])));
      assert.ok(d < 1e-6, `graph ${b} head ${h}: batched vs alone differ by ${d}`);
    }
    assert.deepEqual(S.mask, G.mask);
  }
  // Different layers give different attention (the --layer choice is honoured).
  const l0 = await computeAttention(best, { graphs: [0], layer: 0 });
  assert.notDeepEqual(l0.graphs[0].attn, all.graphs[0].attn);
});

test('bad --graphs / --layer name what is accepted', async () => {
  await assert.rejects(computeAttention(join(runDir, 'best'), { graphs: [999], layer: 0 }), /--graphs 999 is out of range; the validation split of MUTAG has 18 graphs/);
  await assert.rejects(computeAttention(join(runDir, 'best'), { graphs: [0], layer: 2 }), /--layer 2 does not exist; the model has layers 0\.\.1/);
});

test('report data: hop series and best-epoch decay come from the log and agree with the best checkpoint', async () => {
  const R = await buildReportData(runDir, { graphs: [0, 1], layer: 0 });
  const log = parseLog(readFileSync(join(runDir, 'log.jsonl'), 'utf8'));
  const r = R.run!;
  assert.equal(R.kind, 'run');
  assert.equal(r.epochs.length, 2);
  assert.equal(r.bestEpoch, log.final!.best_epoch);
  for (let h = 0; h < 4; h++) assert.deepEqual(r.hop.perHead[h], log.epochs.map((e) => e.hop![h]));
  const bestHop = log.epochs.find((e) => e.epoch === r.bestEpoch)!.hop!;
  // the checkpoint saved at the best epoch holds the hop the log recorded for that epoch
  assert.deepEqual(r.attention!.hop, bestHop);
  assert.equal(r.attention!.epoch, r.bestEpoch);
  assert.deepEqual(r.decay!.curves, decayCurves(bestHop, [0.5, 0.5, 0.5, 0.5], 0, r.decay!.dMax));
  assert.equal(r.attention!.graphs.length, 2);
});

test('experiment folder: per-run summaries and mean +- std agree with the experiment\'s results.csv', async () => {
  symlinkSync(join(expDir, 'no-such-target'), join(expDir, 'broken-link')); // passed over, as find does (stat threw ENOENT)
  const dirs = findRunDirs(expDir);
  assert.deepEqual(dirs.map((d) => d.split('/').pop()), ['run-0', 'run-1']);
  const runs = dirs.map((d) => summariseRun(d, expDir));
  const csv = readFileSync(join(expDir, 'results.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const [, r0, r1, mean, std] = csv;
  assert.deepEqual(runs.map((r) => [r.seed, r.bestEpoch, r.val, r.test]), [r0, r1].map((r) => [+r[1], +r[3], +r[4], +r[5]]));
  const [g] = groupStats(runs);
  assert.equal(g.dataset, 'MUTAG');
  assert.equal(g.runs, 2);
  assert.ok(Math.abs(g.test.mean - +mean[5]) < 1e-12 && Math.abs(g.test.std - +std[5]) < 1e-12, `${JSON.stringify(g)} vs ${mean} / ${std}`);
  const R = await buildReportData(expDir, { graphs: [0] });
  assert.equal(R.kind, 'experiment');
  assert.equal(R.experiment!.detailed, 'run-0');
  assert.equal(R.experiment!.tables[0].file, 'results.csv');
  await assert.rejects(buildReportData(expDir, { run: 'run-7' }), /--run run-7 is not a run of .*; runs: run-0, run-1/);
});
