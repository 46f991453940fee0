/**
 * End-to-end: reports of a short MUTAG run and of a 2-run experiment, rendered
 * by headless Chromium (Debian's /usr/bin/chromium, installed by .ci/run) from
 * file://. Checks: no console errors, every chart present and non-empty, node
 * clicks recolour the graph, no network request. Screenshots go to
 * test-artifacts/report.png and test-artifacts/report-experiment.png.
 *
 * This test FAILS (does not skip) without chromium: CI installs it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { reportCommand, type ReportData } from '../src/report/index.js';
import { tinyExperiment, tinyRun, tmp, writeExp } from './report_helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
/** Series colours of the page (src/report/page.ts PALETTE). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

let ctx: BrowserContext;
let runHtml = '', expHtml = '', claimsHtml = '';

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this) to run the report browser test`);
  const base = tmp('rep-browser');
  const runDir = await tinyRun(join(base, 'run'), 2, 3);
  runHtml = (await reportCommand(runDir, { graphs: [0, 1, 2], layer: 1 })).path;
  const expDir = await tinyExperiment(join(base, 'exp'), 2, 1);
  expHtml = (await reportCommand(expDir, { graphs: [4] })).path;
  // Synthetic depth / fraction folders (logs only, no checkpoints): the claim plots.
  const claims = join(base, 'claims');
  claimsHtml = (await reportCommand([
    writeExp(claims, 'd4-gf', { layers: 4, tests: [0.80, 0.84] }), writeExp(claims, 'd4-gps', { layers: 4, gps: true, tests: [0.78, 0.80] }),
    writeExp(claims, 'd12-gf', { layers: 12, tests: [0.83, 0.85] }), writeExp(claims, 'd24-gf', { layers: 24, tests: [0.81] }),
    writeExp(claims, 'f05-gf', { layers: 4, fraction: 0.05, tests: [0.70, 0.72] }), writeExp(claims, 'f05-gps', { layers: 4, gps: true, fraction: 0.05, tests: [0.66, 0.70] }),
  ], { out: join(claims, 'report.html') })).path;
  ctx = await chromium.launchPersistentContext(join(base, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1300, height: 900 },
  });
});

after(async () => { await ctx?.close(); });

/** The embedded report data, read back from the HTML file. */
function dataOf(html: string): ReportData {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(readFileSync(html, 'utf8'));
  assert.ok(m, 'report-data script missing');
  return JSON.parse(m[1]);
}

/** The chart names the page must draw for this data (derived here, independently of the page script). */
function expectedCharts(R: ReportData): string[] {
  const names = ['train-loss', 'metric', 'lr', 'epoch-time'];
  if (R.run!.hop.perHead.length > 0) names.push('hop');
  if (R.run!.decay) names.push('decay');
  if (R.experiment) R.experiment.stats.forEach((_, i) => names.push(`spread-${i}`));
  R.experiment?.claims.forEach((_, i) => names.push(`claim-${i}`));
  R.run!.attention?.graphs.forEach((_, g) => {
    names.push(`graph-${g}`);
    for (let h = 0; h < R.run!.attention!.heads; h++) names.push(`mask-${g}-${h}`, `attn-${g}-${h}`);
  });
  return names.sort();
}

/** Loads a report page, checks it, returns the page for further interaction. */
async function openAndCheck(html: string, shot: string) {
  const page = await ctx.newPage();
  const errors: string[] = [], requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  ctx.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(html).href;
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready]', { timeout: 15000 });
  assert.equal(await page.getAttribute('body', 'data-ready'), '1', `page script failed: ${errors.join('\n')}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, shot), fullPage: true });
  const R = dataOf(html);
  // Every chart the data calls for is drawn, and is not blank.
  const charts = await page.evaluate((palette) => {
    const pal = palette.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
    const out: { name: string; kind: string; painted: number; distinct: number; series: number; circles: number; lines: number }[] = [];
    for (const node of Array.from(document.querySelectorAll('[data-chart]'))) {
      const name = node.getAttribute('data-chart')!;
      if (node instanceof SVGSVGElement) {
        out.push({ name, kind: 'svg', painted: 0, distinct: 0, series: 0, circles: node.querySelectorAll('circle').length, lines: node.querySelectorAll('line').length });
        continue;
      }
      const canvas = node instanceof HTMLCanvasElement ? node : node.querySelector('canvas');
      if (!canvas) { out.push({ name, kind: 'none', painted: 0, distinct: 0, series: 0, circles: 0, lines: 0 }); continue; }
      const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0, series = 0;
      const colours = new Set<number>();
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] > 0) { painted++; colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]); }
        // a series stroke colour (the page's palette; series may overlap, so any of them)
        if (px[i + 3] === 255 && pal.some((q) => Math.abs(px[i] - q[0]) < 8 && Math.abs(px[i + 1] - q[1]) < 8 && Math.abs(px[i + 2] - q[2]) < 8)) series++;
      }
      out.push({ name, kind: node instanceof HTMLCanvasElement ? 'heatmap' : 'uplot', painted, distinct: colours.size, series, circles: 0, lines: 0 });
    }
    return out;
  }, PALETTE);
  assert.deepEqual(charts.map((c) => c.name).sort(), expectedCharts(R));
  for (const c of charts) {
    if (c.kind === 'svg') {
      const G = R.run!.attention!.graphs[Number(c.name.split('-')[1])];
      assert.equal(c.circles, G.n, `${c.name}: ${c.circles} nodes drawn, graph has ${G.n}`);
      assert.equal(c.lines, G.edges.length, `${c.name}: ${c.lines} edges drawn, graph has ${G.edges.length}`);
    } else if (c.kind === 'heatmap') {
      const [, g] = c.name.split('-').map(Number);
      const n = R.run!.attention!.graphs[g].n;
      // fully painted (every cell filled, opaque)
      assert.ok(c.painted > 0 && c.distinct >= 1, `${c.name} is blank`);
      assert.ok(c.painted >= n * n * 9, `${c.name}: only ${c.painted} pixels painted for ${n}x${n} cells`);
    } else {
      assert.equal(c.kind, 'uplot', `${c.name}: no canvas`);
      assert.ok(c.distinct >= 3, `${c.name}: canvas has ${c.distinct} colours (blank chart)`);
      assert.ok(c.series >= 20, `${c.name}: no series drawn (${c.series} pixels of series colours)`);
    }
  }
  // attention heat maps differ from each other somewhere (not all one colour everywhere)
  const attn = charts.filter((c) => c.name.startsWith('attn-'));
  assert.ok(attn.length === 0 || attn.some((c) => c.distinct > 1), 'every attention map is a single colour');
  return { page, errors, requests, url, R };
}

test('run report renders in headless Chromium: all charts, clickable graph, no errors, no network', async () => {
  const { page, errors, requests, url, R } = await openAndCheck(runHtml, 'report.png');
  // Clicking node 0 of the first graph colours nodes by its attention and explains it.
  const before = await page.$$eval('svg[data-chart="graph-0"] circle', (cs) => cs.map((c) => c.getAttribute('fill')));
  await page.click('svg[data-chart="graph-0"] circle[data-node="0"]');
  const info = await page.textContent('#info-0');
  assert.match(info!, /^Node 0, head 0 attends most to: node \d+ \(/);
  const afterFill = await page.$$eval('svg[data-chart="graph-0"] circle', (cs) => cs.map((c) => c.getAttribute('fill')));
  assert.notDeepEqual(afterFill, before);
  // the most attended node gets the top of the colour scale (viridis yellow)
  const row = R.run!.attention!.graphs[0].attn[0].slice(0, R.run!.attention!.graphs[0].n);
  const top = row.indexOf(Math.max(...row));
  assert.equal(afterFill[top], 'rgb(253,231,37)');
  await page.click('button.hbtn >> nth=1');
  assert.match((await page.textContent('#info-0'))!, /^Node 0, head 1 attends/);
  await page.screenshot({ path: join(ARTIFACTS, 'report-clicked.png'), fullPage: false });
  assert.deepEqual(errors, []);
  assert.deepEqual([...new Set(requests)], [url], `network requests besides the page: ${requests.join(', ')}`);
  // the page is self-contained: no external references at all
  assert.doesNotMatch(readFileSync(runHtml, 'utf8'), /(src|href)=["']?(https?:)?\/\//i);
  await page.close();
});

test('experiment report renders: results table, spread chart, detailed run panels', async () => {
  const { page, errors, requests, url } = await openAndCheck(expHtml, 'report-experiment.png');
  const text = (await page.textContent('body'))!;
  assert.match(text, /Experiment results/);
  assert.match(text, /MUTAG\s*accuracy\s*2\s*[\d.]+ \+- [\d.]+/);
  assert.match(text, /Results table written by the experiment \(results\.csv\)/);
  assert.deepEqual(errors, []);
  assert.deepEqual([...new Set(requests)], [url]);
  await page.close();
});

test('report of several experiment folders: depth and fraction plots with error bars, paper points and their tables', async () => {
  const { page, errors, requests, url, R } = await openAndCheck(claimsHtml, 'report-claims.png');
  assert.deepEqual(R.experiment!.claims.map((p) => p.kind), ['depth', 'fraction']);
  const rows = await page.$$eval('[data-chart="claim-0"] table.claim-points tr', (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent)));
  // series, layers, runs, mean, std, paper: the means and stds of the test values in %, the paper's 12-layer figure.
  assert.deepEqual(rows, [
    ['series', 'layers', 'runs', 'mean', 'std', 'paper'],
    ['Gradformer', '4', '2', '82.00', '2.00', ''], ['Gradformer', '12', '2', '84.00', '1.00', '84.31'], ['Gradformer', '24', '1', '81.00', '0.00', '84.25'],
    ['GraphGPS', '4', '2', '79.00', '1.00', ''],
  ]);
  const frows = await page.$$eval('[data-chart="claim-1"] table.claim-points tr', (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent)));
  assert.deepEqual(frows.slice(1), [
    ['Gradformer', '5 %', '2', '71.00', '1.00', '71.20'], ['Gradformer', '100 %', '2', '82.00', '2.00', ''],
    ['GraphGPS', '5 %', '2', '68.00', '2.00', '69.54'], ['GraphGPS', '100 %', '2', '79.00', '1.00', ''],
  ]);
  // Gradformer - GraphGPS seed by seed (seeds 0 and 1 of both at 4 layers, at 5 % and at 100 %; none at 12 or 24).
  const paired = async (i: number) => page.$$eval(`[data-chart="claim-${i}"] table.claim-paired tr`, (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent)));
  assert.deepEqual(await paired(0), [
    ['Gradformer - GraphGPS, paired by seed', 'layers', 'seeds', 'mean', 'std', 'wins / ties / losses'], ['all', '4', '2', '+3.00', '1.00', '2 / 0 / 0']]);
  assert.deepEqual((await paired(1)).slice(1), [['all', '5 %', '2', '+3.00', '1.00', '2 / 0 / 0'], ['all', '100 %', '2', '+3.00', '1.00', '2 / 0 / 0']]);
  // The tick labels drawn on the canvas: every measured x, none blanked to '0 %' by uPlot's log-axis filter.
  const ticks = await page.$eval('[data-chart="claim-1"]', (n) => (n as unknown as { __plot: { axes: { _values: string[] }[] } }).__plot.axes[0]._values);
  assert.deepEqual(ticks, ['5 %', '10 %', '100 %']); // 10 %: the paper's point
  assert.match((await page.textContent('body'))!, /The paper's claims: depth and scarce data/);
  assert.deepEqual(errors, []);
  assert.deepEqual([...new Set(requests)], [url]);
  await page.close();
});
