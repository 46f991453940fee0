// The paper's depth and scarce-data plots in `gradformer report DIR1 DIR2 ...` (issue #18):
// from small synthetic experiment folders (config.json + log.jsonl as gradformer
// experiment writes them, values chosen here), the plotted means, stds and counts are
// the runs' test accuracies at their best validation epoch, grouped by model (decay
// off = GraphGPS), depth and training fraction; unfinished runs are left out and named.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { claimLines, claimPlots, PAPER_NCI1, type ClaimPlot } from '../src/report/claims.js';
import { buildReportData, reportCommand } from '../src/report/index.js';
import { meanStd } from '../src/util/stats.js';
import { cliRunner } from './cli_helpers.js';
import { tmp, writeExp } from './report_helpers.js';

const root = tmp('claims');
after(() => rmSync(root, { recursive: true, force: true }));

const T = {
  d4gf: [0.80, 0.82, 0.84], d4gps: [0.78, 0.80], d12gf: [0.83, 0.85], d12gps: [0.70, 0.74, 0.78], d24gf: [0.81],
  f05gf: [0.70, 0.72], f05gps: [0.66, 0.70], f10gf: [0.75, 0.77, 0.79],
};
const dirs = [
  writeExp(root, 'nci1-depth4-gf', { layers: 4, tests: T.d4gf }),
  writeExp(root, 'nci1-depth4-gps', { layers: 4, gps: true, tests: T.d4gps }),
  writeExp(root, 'nci1-depth12-gf', { layers: 12, tests: T.d12gf, unfinished: 1 }),
  writeExp(root, 'nci1-depth12-gps', { layers: 12, gps: true, tests: T.d12gps }),
  writeExp(root, 'nci1-depth24-gf', { layers: 24, tests: T.d24gf }),
  writeExp(root, 'nci1-frac05-gf', { layers: 4, fraction: 0.05, tests: T.f05gf }),
  writeExp(root, 'nci1-frac05-gps', { layers: 4, gps: true, fraction: 0.05, tests: T.f05gps }),
  writeExp(root, 'nci1-frac10-gf', { layers: 4, fraction: 0.1, tests: T.f10gf }),
];

/** The expected point: mean and population std of the values in %, and their count. */
function expectPoint(p: { x: number; mean: number; std: number; n: number }, x: number, tests: number[]): void {
  const m = meanStd(tests.map((v) => v * 100));
  assert.equal(p.x, x);
  assert.equal(p.n, tests.length);
  assert.ok(Math.abs(p.mean - m.mean) < 1e-9, `mean at ${x}: ${p.mean} vs ${m.mean}`);
  assert.ok(Math.abs(p.std - m.std) < 1e-9, `std at ${x}: ${p.std} vs ${m.std}`);
}

test('depth and fraction plots: means, stds and counts per model, paper points, unfinished runs left out', async () => {
  const R = await buildReportData(dirs, {});
  assert.equal(R.kind, 'experiment');
  const plots = R.experiment!.claims;
  assert.deepEqual(plots.map((p) => p.kind), ['depth', 'fraction']);
  const [depth, frac] = plots as [ClaimPlot, ClaimPlot];
  assert.equal(depth.yLabel, 'test accuracy (%)');
  assert.deepEqual(depth.series.map((s) => s.label), ['Gradformer', 'GraphGPS']);
  const [gf, gps] = depth.series;
  assert.equal(gf.points.length, 3);
  expectPoint(gf.points[0], 4, T.d4gf);
  expectPoint(gf.points[1], 12, T.d12gf); // the unfinished third run of depth12-gf is not in it
  expectPoint(gf.points[2], 24, T.d24gf);
  assert.equal(gps.points.length, 2);
  expectPoint(gps.points[0], 4, T.d4gps);
  expectPoint(gps.points[1], 12, T.d12gps);
  assert.deepEqual(depth.paper, PAPER_NCI1.depth);
  assert.match(depth.note, /1 unfinished run\(s\) left out: nci1-depth12-gf\/run-2/);
  // Fraction: the 100 % cells are the 4-layer full-data runs.
  assert.deepEqual(frac.series.map((s) => s.label), ['Gradformer', 'GraphGPS']);
  const [fgf, fgps] = frac.series;
  assert.deepEqual(fgf.points.map((p) => p.x), [0.05, 0.1, 1]);
  expectPoint(fgf.points[0], 0.05, T.f05gf);
  expectPoint(fgf.points[1], 0.1, T.f10gf);
  expectPoint(fgf.points[2], 1, T.d4gf);
  assert.deepEqual(fgps.points.map((p) => p.x), [0.05, 1]);
  expectPoint(fgps.points[0], 0.05, T.f05gps);
  expectPoint(fgps.points[1], 1, T.d4gps);
  assert.deepEqual(frac.paper, [{ model: 'Gradformer', x: 0.05, y: 71.20 }, { model: 'Gradformer', x: 0.10, y: 76.38 }, { model: 'GraphGPS', x: 0.05, y: 69.54 }]);
  // Gradformer - GraphGPS seed by seed: seeds 0 and 1 have both at 4 and 12 layers (the unfinished
  // run-2 of depth12-gf has none), none at 24; the fraction plot's 100 % pairs are the 4-layer ones.
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  assert.deepEqual(depth.paired.map((d) => [d.label, d.x, d.n, d.wins, d.ties, d.losses]), [['', 4, 2, 2, 0, 0], ['', 12, 2, 2, 0, 0]]);
  assert.ok(near(depth.paired[0].mean, 2) && near(depth.paired[0].std, 0), JSON.stringify(depth.paired[0]));
  assert.ok(near(depth.paired[1].mean, 12) && near(depth.paired[1].std, 1), JSON.stringify(depth.paired[1]));
  assert.deepEqual(frac.paired.map((d) => [d.x, d.n]), [[0.05, 2], [1, 2]]);
  assert.ok(near(frac.paired[0].mean, 3) && near(frac.paired[0].std, 1), JSON.stringify(frac.paired[0]));
  assert.deepEqual(claimLines(plots).slice(0, 3), [
    'NCI1 depth 4: Gradformer 82.00 +- 1.63 (3), GraphGPS 79.00 +- 1.00 (2); Gradformer - GraphGPS +2.00 +- 0.00 over 2 seeds (2 wins, 0 losses)',
    'NCI1 depth 12: Gradformer 84.00 +- 1.00 (2), GraphGPS 74.00 +- 3.27 (3); Gradformer - GraphGPS +12.00 +- 1.00 over 2 seeds (2 wins, 0 losses)',
    'NCI1 depth 24: Gradformer 81.00 +- 0.00 (1)',
  ]);
  // Each folder has its own row in the results table, never one mean over all.
  const stats = R.experiment!.stats;
  assert.equal(stats.length, dirs.length);
  const s12 = stats.find((g) => g.folder === 'nci1-depth12-gps')!;
  assert.equal(s12.runs, 3);
  assert.ok(Math.abs(s12.test.mean - meanStd(T.d12gps).mean) < 1e-12);
});

test('no claim plot when the folders vary in neither depth nor fraction; a lone fraction folder still gets its plot', () => {
  const runs = (name: string, layers: number, fraction: number, decay: boolean, test: number) =>
    ({ name, dir: '', dataset: 'NCI1', seed: 0, fold: 0, metric: 'accuracy', bestEpoch: 2, val: 0.9, test, epochs: 3, finished: true, folder: name, layers, decay, trainFraction: fraction,
      settings: { dataset: '"NCI1"', 'model.gamma': '0.6' } as Record<string, string> });
  assert.deepEqual(claimPlots([runs('a', 4, 1, true, 0.8), runs('b', 4, 1, false, 0.7)]), []);
  const only = claimPlots([runs('a', 4, 1, true, 0.8), runs('b', 4, 0.05, true, 0.7)]);
  assert.deepEqual(only.map((p) => p.kind), ['fraction']);
  assert.deepEqual(only[0].series[0].points.map((p) => [p.x, p.n]), [[0.05, 1], [1, 1]]);
  // Another dataset or metric: no paper points (they are NCI1 accuracies).
  const mae = claimPlots([{ ...runs('a', 4, 1, true, 0.2), metric: 'mae', dataset: 'ZINC' }, { ...runs('b', 8, 1, true, 0.3), metric: 'mae', dataset: 'ZINC' }]);
  assert.equal(mae[0].yLabel, 'test mae');
  assert.deepEqual(mae[0].paper, []);
  assert.equal(mae[0].series[0].points[0].mean, 0.2);
  // Runs of another setting (gamma 0.7) at the same depth are a series of their own, never pooled.
  const g7 = { ...runs('c', 12, 1, true, 0.6), settings: { dataset: '"NCI1"', 'model.gamma': '0.7' } };
  const mixed = claimPlots([runs('a', 4, 1, true, 0.8), runs('b', 12, 1, true, 0.7), g7]);
  assert.deepEqual(mixed[0].series.map((s) => [s.label, s.points.map((p) => [p.x, p.n, p.mean])]), [
    ['Gradformer (gamma 0.6)', [[4, 1, 80], [12, 1, 70]]], ['Gradformer (gamma 0.7)', [[12, 1, 60]]]]);
});

test('paired differences: ties and losses counted, a seed run twice by one model left out, runs without a seed skipped', () => {
  const run = (name: string, seed: number | null, decay: boolean, test: number) =>
    ({ name, dir: '', dataset: 'NCI1', seed, fold: 0, metric: 'accuracy', bestEpoch: 2, val: 0.9, test, epochs: 3, finished: true, folder: name, layers: 12, decay, trainFraction: 1,
      settings: { dataset: '"NCI1"' } as Record<string, string> });
  const deep = (name: string, seed: number | null, decay: boolean, test: number) => ({ ...run(name, seed, decay, test), layers: 24 });
  const [P] = claimPlots([
    run('gf/run-0', 0, true, 0.80), run('gps/run-0', 0, false, 0.80),   // tie
    run('gf/run-1', 1, true, 0.70), run('gps/run-1', 1, false, 0.75),   // loss of 5 points
    run('gf/run-2', 2, true, 0.90), run('gps/run-2', 2, false, 0.80),   // win of 10
    run('gf/run-3', 3, true, 0.90), run('gps/run-3', 3, false, 0.80), run('gps-b/run-0', 3, false, 0.50), // seed 3 twice on one side: ambiguous
    run('gf/run-x', null, true, 0.10), run('gps/run-x', null, false, 0.90), // no seed: never paired
    deep('gf24/run-0', 0, true, 0.60),
  ]);
  assert.equal(P.kind, 'depth');
  assert.equal(P.paired.length, 1);
  const d = P.paired[0];
  assert.deepEqual([d.x, d.n, d.wins, d.ties, d.losses], [12, 3, 1, 1, 1]);
  assert.ok(Math.abs(d.mean - (0 - 5 + 10) / 3) < 1e-9, String(d.mean));
  assert.match(claimLines([P])[0], /^NCI1 depth 12: .*; Gradformer - GraphGPS \+1\.67 \+- 6\.24 over 3 seeds \(1 win, 1 tie, 1 loss\)$/);
});

test('the CLI takes several folders and writes the page with the plot data embedded', async () => {
  const out = join(root, 'claims.html');
  const { path } = await reportCommand(dirs.slice(0, 5), { out });
  assert.equal(path, out);
  const html = readFileSync(out, 'utf8');
  const data = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]);
  assert.deepEqual(data.experiment.claims.map((p: ClaimPlot) => p.kind), ['depth']);
  assert.equal(data.experiment.runs[0].name, 'nci1-depth4-gf/run-0');
  await assert.rejects(buildReportData([dirs[0], join(root, 'missing')]), /missing does not exist/);
  // The command line takes the folders as positional arguments.
  const cli = cliRunner(join(root, 'home'));
  const r = await cli('report', ...dirs.slice(5), '--out', join(root, 'frac.html'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^report written to .*frac\.html$/m);
  // ... and prints the claim lines before it.
  assert.match(r.stdout, /^NCI1 fraction 5 %: Gradformer 71\.00 \+- 1\.00 \(2\), GraphGPS 68\.00 \+- 2\.00 \(2\); Gradformer - GraphGPS \+3\.00 \+- 1\.00 over 2 seeds \(2 wins, 0 losses\)$/m);
  const fdata = JSON.parse(/id="report-data">([\s\S]*?)<\/script>/.exec(readFileSync(join(root, 'frac.html'), 'utf8'))![1]);
  assert.deepEqual(fdata.experiment.claims.map((p: ClaimPlot) => p.kind), ['fraction']);
});
