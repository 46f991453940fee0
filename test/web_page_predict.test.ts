/**
 * The page's Predict tab in headless Chromium (Debian's /usr/bin/chromium, as the
 * report test), served by `gradformer web`'s server from a fresh build: a ZINC
 * model trained by the CLI's trainer is loaded from its files (file picker) and
 * from its run folder's URL, its predictions for ten SMILES equal `gradformer
 * predict --smiles`'s within 1e-6, a selected molecule shows its decay curves
 * and attention graph; bad SMILES, a wrong file, a non-molecule model and a URL
 * on another site each show a message; the shipped ZINC and ogbg-molhiv models
 * load with one click and predict as `gradformer predict --model`; RDKit is not fetched before a prediction
 * is asked for; no console error and no request beyond the page's origin.
 * Screenshot: test-artifacts/web-predict.png. This test FAILS (does not skip)
 * without chromium: CI installs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWebServer, type WebServer } from '../src/cli/web_server.js';
import type { PredictionRow } from '../src/train/predict_rows.js';
import { cliRunner } from './cli_helpers.js';
import { tinyRun, tmp } from './report_helpers.js';
import { haveZinc, tinyZincRun, zincTestSmiles } from './web_helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const base = tmp('web-page-predict');
const pageDir = join(base, 'web', 'page');
const SMILES = [...(haveZinc ? zincTestSmiles(8) : []), 'CCO', 'c1ccccc1'];

let browser: Browser;
let server: WebServer;
let zinc = '', mutag = '';
let want: PredictionRow[] = [];
let wantCsv = '';

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});

/** A fresh page on the Predict tab that records console errors and every request. */
async function open(query = ''): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const errors: string[] = [], requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}${query}#predict`, { waitUntil: 'load' });
  await page.waitForSelector('#predict-run');
  return { page, errors, requests };
}

const panel = 'section[data-tab="predict"]';
/** Waits until the tab settles in one of `states` and returns the state. */
async function settled(page: Page, states: string[]): Promise<string> {
  await page.waitForFunction(([sel, ok]) => ok.includes(document.querySelector(sel)?.getAttribute('data-state') ?? ''),
    [panel, states] as const, { timeout: 60000 });
  return (await page.getAttribute(panel, 'data-state'))!;
}

async function message(page: Page): Promise<string> {
  return (await page.textContent('#predict-message')) ?? '';
}

/** Predicts `smiles` in the tab (a model is loaded) and returns the settled state. */
async function predict(page: Page, smiles: string[], states = ['predicted', 'error']): Promise<string> {
  await page.fill('#predict-smiles', smiles.join('\n'));
  await page.click('#predict-run');
  return settled(page, states);
}

async function rows(page: Page): Promise<PredictionRow[]> {
  return page.$$eval('#predict-table tr[data-row]', (trs) => trs.map((t) => JSON.parse(t.getAttribute('data-values')!)));
}

/** A row's numbers under key k (a number or a list). */
const field = (row: PredictionRow, k: string): number[] => [(row as Record<string, unknown>)[k]].flat() as number[];

/**
 * Rows equal the CLI's: the same ids and keys, every number within 1e-6. Logits
 * are float32 values of any size, so theirs is 1e-6 relative past 1 (8 float32
 * ulps; one ulp is 9.5e-7 between 8 and 16); the page's logits are also checked
 * bit for bit against `--device wasm` (assertSameAsWasm).
 */
function assertClose(got: PredictionRow[], exp: PredictionRow[]): void {
  assert.equal(got.length, exp.length);
  let worst = 0;
  got.forEach((g, r) => {
    assert.equal(g.id, exp[r].id);
    assert.deepEqual(Object.keys(g).sort(), Object.keys(exp[r]).sort());
    for (const k of Object.keys(exp[r])) {
      if (k === 'id') continue;
      const a = field(g, k), b = field(exp[r], k);
      a.forEach((v, i) => {
        const d = Math.abs(v - b[i]) / (k === 'logits' ? Math.max(1, Math.abs(b[i])) : 1);
        worst = Math.max(worst, d);
        assert.ok(d <= 1e-6, `${String(exp[r].id)} ${k}: page ${v}, CLI ${b[i]}`);
      });
    }
  });
  process.stdout.write(`# page vs gradformer predict: ${got.length} molecules, largest difference ${worst.toExponential(2)}\n`);
}

/**
 * The page runs the WebAssembly kernels that `gradformer predict --device wasm` runs:
 * its logits are the same float32 bits. Numbers the page derives from them in
 * JavaScript doubles (probabilities) may differ in the last bit of a double, as
 * Chromium's and Node's Math.exp may: those within 1e-12.
 */
function assertSameAsWasm(got: PredictionRow[], exp: PredictionRow[]): void {
  assert.equal(got.length, exp.length);
  got.forEach((g, r) => {
    assert.equal(g.id, exp[r].id);
    assert.deepEqual(Object.keys(g).sort(), Object.keys(exp[r]).sort());
    for (const k of Object.keys(exp[r])) {
      if (k === 'id') continue;
      const a = field(g, k), b = field(exp[r], k);
      if (k === 'logits') assert.deepStrictEqual(a, b, `${String(exp[r].id)} logits: page and --device wasm differ`);
      else a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-12, `${String(exp[r].id)} ${k}: page ${v}, --device wasm ${b[i]}`));
    }
  });
}

function noErrorsOrForeignRequests(errors: string[], requests: string[]): void {
  assert.deepEqual(errors, []);
  const origin = new URL(server.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:')), []);
}

describe('the Predict tab', { skip: !haveZinc && 'no shared datasets (../shared/datasets/ZINC)' }, () => {
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this) to run the page test`);
    const built = spawnSync(process.execPath, ['scripts/build-web.js', join(base, 'web')], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    zinc = await tinyZincRun(join(base, 'zinc'));
    mutag = await tinyRun(join(base, 'mutag'), 1, 1);
    // The ZINC run folder on the page's own site, for loading by URL.
    mkdirSync(join(pageDir, 'runs', 'zinc', 'best'), { recursive: true });
    copyFileSync(join(zinc, 'config.json'), join(pageDir, 'runs', 'zinc', 'config.json'));
    copyFileSync(join(zinc, 'best', 'model.safetensors'), join(pageDir, 'runs', 'zinc', 'best', 'model.safetensors'));
    const res = await cliRunner(join(base, 'home'))('predict', '--checkpoint', zinc, '--smiles', ...SMILES);
    assert.equal(res.code, 0, res.stderr);
    want = JSON.parse(res.stdout).predictions;
    const csv = await cliRunner(join(base, 'home'))('predict', '--checkpoint', zinc, '--format', 'csv', '--smiles', ...SMILES);
    assert.equal(csv.code, 0, csv.stderr);
    wantCsv = csv.stdout;
    server = await startWebServer(pageDir, 0, '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });

  it('predicts what gradformer predict prints, and shows a molecule\'s decay and attention', async () => {
    const { page, errors, requests } = await open();
    const rdkitAsked = () => requests.some((u) => u.includes('/rdkit/'));
    await page.setInputFiles('#predict-files', [join(zinc, 'config.json'), join(zinc, 'best', 'model.safetensors')]);
    assert.equal(await settled(page, ['model', 'error']), 'model', await message(page));
    assert.match((await page.textContent('#predict-model-status'))!, /trained on ZINC \(regression\), 2 layers x 4 heads, 16 channels.*WebAssembly kernels/);
    assert.equal(rdkitAsked(), false, 'RDKit was fetched before any prediction was asked for');
    assert.equal(await predict(page, SMILES), 'predicted', await message(page));
    assert.ok(rdkitAsked(), 'RDKit came from the page\'s own rdkit/ folder');
    assertClose(await rows(page), want);
    // The download: gradformer predict --format csv's text, its numbers within 1e-6.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#predict-download')]);
    assert.equal(download.suggestedFilename(), 'predictions.csv');
    const got = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => l.split(','));
    const exp = wantCsv.trim().split('\n').map((l) => l.split(','));
    assert.deepEqual(got[0], exp[0]);
    assert.deepEqual(got.map((r) => r[0]), exp.map((r) => r[0]));
    got.slice(1).forEach((r, i) => assert.ok(Math.abs(Number(r[1]) - Number(exp[i + 1][1])) <= 1e-6, `${r[0]}: ${r[1]} vs ${exp[i + 1][1]}`));

    // A molecule's views: one circle per atom, one decay curve per head, heat maps per head.
    await page.click('#predict-table tr[data-row="0"]');
    assert.equal(await settled(page, ['view', 'error']), 'view', await message(page));
    const atoms = await page.$$eval('svg[data-chart="graph-p"] circle', (c) => c.length);
    assert.ok(atoms > 5, `${atoms} atoms drawn for ${SMILES[0]}`);
    // Atoms are named by the featuriser's types (ZINC's dictionary): every SMILES element is on the drawing.
    const names = await page.$$eval('svg[data-chart="graph-p"] text', (t) => t.map((x) => x.textContent));
    assert.equal(names.length, atoms);
    for (const el of SMILES[0].match(/Cl|Br|[CNOSFIP]|[cnos]/g)!) assert.ok(names.includes(el[0].toUpperCase() + el.slice(1)), `${el} of ${SMILES[0]} is not drawn (${names.join(' ')})`);
    assert.match((await page.textContent('svg[data-chart="graph-p"] circle[data-node="0"] title'))!, /^atom 0: \S/);
    assert.equal(await page.$$eval('svg[data-chart="decay"] polyline', (p) => p.length), 4);
    assert.equal(await page.$$eval('canvas[data-chart^="attn-p-"]', (c) => c.length), 4);
    await page.selectOption('#predict-layer', '1');
    assert.equal(await settled(page, ['view', 'error']), 'view', await message(page));
    assert.equal(await page.$eval('#predict-layer', (s) => (s as HTMLSelectElement).value), '1');
    assert.match((await page.textContent('.legend >> text=/^Layer/'))!, /^Layer 1 of 2 \(0-based\)/);
    await page.click('svg[data-chart="graph-p"] circle[data-node="0"]');
    assert.match((await page.textContent('#info-p'))!, /^Node 0, head 0 attends most to: node \d+ \(/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-predict.png'), fullPage: true });
    noErrorsOrForeignRequests(errors, requests);
    await page.close();
  });

  it('loads a run by drag and drop, and by URL on its own site (refusing one on another site); the TypeScript kernels agree too', async () => {
    // ?kernels=ts: the fallback kernels, which the page uses where WebAssembly cannot load.
    const { page, errors, requests } = await open('?kernels=ts');
    // Files dropped on the box, as a browser delivers them.
    await page.evaluate(([c, w]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(c)], 'config.json'));
      dt.items.add(new File([new Uint8Array(w)], 'model.safetensors'));
      document.getElementById('predict-drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [Array.from(readFileSync(join(zinc, 'config.json'))), Array.from(readFileSync(join(zinc, 'best', 'model.safetensors')))]);
    assert.equal(await settled(page, ['model', 'error']), 'model', await message(page));
    assert.match((await page.textContent('#predict-model-status'))!, /Running on TypeScript kernels \(\?kernels=ts\)/);
    assert.equal(await predict(page, SMILES), 'predicted', await message(page));
    assertClose(await rows(page), want);
    assert.equal(requests.some((u) => /\/gradformer(-relaxed)?\.wasm$/.test(u)), false, 'a gradformer .wasm was fetched under ?kernels=ts');
    await page.fill('#predict-url', 'https://example.com/runs/zinc');
    await page.click('#predict-load-url');
    assert.equal(await settled(page, ['model', 'error']), 'error');
    assert.match(await message(page), /Cannot load the model: https:\/\/example\.com\/runs\/zinc is on another site/);
    await page.fill('#predict-url', 'runs/nothing-here');
    await page.click('#predict-load-url');
    assert.equal(await settled(page, ['model', 'error']), 'error');
    assert.match(await message(page), /Cannot load the model: cannot load .*runs\/nothing-here\/(config\.json|best\/model\.safetensors) \(HTTP 404\)/);
    await page.fill('#predict-url', 'runs/zinc');
    await page.click('#predict-load-url');
    assert.equal(await settled(page, ['model', 'error']), 'model', await message(page));
    assert.equal(await predict(page, SMILES), 'predicted', await message(page));
    assertClose(await rows(page), want);
    // The 404s above are the test's own; nothing else may fail.
    noErrorsOrForeignRequests(errors.filter((e) => !/nothing-here|404/.test(e)), requests);
    await page.close();
  });

  it('predicts with the shipped ZINC and ogbg-molhiv models with one click, as gradformer predict --model does', async () => {
    const { page, errors, requests } = await open();
    for (const name of ['ZINC', 'ogbg-molhiv']) {
      const res = await cliRunner(join(base, 'home'))('predict', '--model', name, '--smiles', ...SMILES);
      assert.equal(res.code, 0, res.stderr);
      await page.click(`#predict-shipped button[data-model="${name}"]`);
      assert.equal(await settled(page, ['model', 'error']), 'model', await message(page));
      assert.match((await page.textContent('#predict-model-status'))!, new RegExp(`^Loaded the shipped ${name} model \\(epoch \\d+ of \\d+.*test (mae|rocauc) \\d\\.\\d{4}, from results/`));
      assert.equal(await predict(page, SMILES), 'predicted', await message(page));
      const got = await rows(page);
      assertClose(got, JSON.parse(res.stdout).predictions);
      const wasm = await cliRunner(join(base, 'home'))('predict', '--model', name, '--device', 'wasm', '--smiles', ...SMILES);
      assert.equal(wasm.code, 0, wasm.stderr);
      assertSameAsWasm(got, JSON.parse(wasm.stdout).predictions);
    }
    noErrorsOrForeignRequests(errors, requests);
    await page.close();
  });

  it('shows a message for bad SMILES, a wrong file and a non-molecule model', async () => {
    const { page, errors, requests } = await open();
    assert.equal(await predict(page, ['CCO'], ['error']), 'error');
    assert.match(await message(page), /Cannot predict: load a model first/);
    await page.setInputFiles('#predict-files', [join(zinc, 'config.json')]);
    assert.equal(await settled(page, ['model', 'error']), 'error');
    assert.match(await message(page), /give two files, the run's config\.json and its best\/model\.safetensors; got config\.json/);
    await page.setInputFiles('#predict-files', [join(zinc, 'config.json'), join(mutag, 'best', 'model.safetensors')]);
    assert.equal(await settled(page, ['model', 'error']), 'error');
    assert.match(await message(page), /Cannot load the model: model\.safetensors \(for the model of config\.json\): /);
    await page.setInputFiles('#predict-files', [join(zinc, 'config.json'), join(zinc, 'best', 'model.safetensors')]);
    assert.equal(await settled(page, ['model', 'error']), 'model');
    assert.equal(await predict(page, ['CCO', 'CC(C', 'CCN']), 'error');
    assert.match(await message(page), /Cannot predict: molecules: SMILES #2 "CC\(C": /);
    await page.setInputFiles('#predict-files', [join(mutag, 'config.json'), join(mutag, 'best', 'model.safetensors')]);
    assert.equal(await settled(page, ['model', 'error']), 'model');
    assert.match((await page.textContent('#predict-model-status'))!, /trained on MUTAG .* Not a molecule model: predictions from SMILES need one trained on ZINC or ogbg-molhiv\.$/);
    assert.equal(await predict(page, ['CCO']), 'error');
    assert.match(await message(page), /this model was trained on MUTAG; predictions from SMILES need a molecule model \(ZINC, ogbg-molhiv\)/);
    // A CSV with a smiles column fills the list; one without names the column it lacks.
    await page.setInputFiles('#predict-csv', { name: 'mols.csv', mimeType: 'text/csv', buffer: Buffer.from('id,smiles\n1,CCO\n2,c1ccccc1\n') });
    assert.equal(await settled(page, ['csv', 'error']), 'csv');
    assert.equal(await page.inputValue('#predict-smiles'), 'CCO\nc1ccccc1');
    await page.setInputFiles('#predict-csv', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('id,smi\n1,CCO\n') });
    assert.equal(await settled(page, ['csv', 'error']), 'error');
    assert.match(await message(page), /Cannot read the CSV file: bad\.csv:1: no column 'smiles' \(header: id, smi\)/);
    noErrorsOrForeignRequests(errors, requests);
    await page.close();
  });
});
