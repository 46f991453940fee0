/**
 * End-to-end: the Train tab of the page (src/web/page/) in headless Chromium
 * (Debian's /usr/bin/chromium, installed by .ci/run), served by `gradformer web`
 * on a free port from a fresh build. The page trains MUTAG in its Web Worker and
 * every per-epoch number (loss, val, test, hop of every head) equals, bit for
 * bit, `gradformer train` with the same seed and settings on the same kernels
 * (wasm; and the TypeScript fallback, ?kernels=ts); the page stays responsive
 * while it trains; the downloaded config.json + model.safetensors load in
 * `gradformer eval` (the run's test metric) and `predict`; Stop ends a run;
 * uploaded zips train or say what is wrong with them (file and line); no console error, no request
 * outside the page's origin. Screenshots: test-artifacts/web-train*.png.
 *
 * This test FAILS (does not skip) without chromium or the wasm build: CI makes both.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cliRunner } from './cli_helpers.js';
import { zipFiles } from './helpers/zip_write.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const base = mkdtempSync(join(tmpdir(), 'gf-web-page-'));
const pageDir = join(base, 'web', 'page');
const cli = cliRunner(join(base, 'home'));
let server: ChildProcess;
let origin = '';
let browser: Browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this)`);
  const b = spawnSync(process.execPath, ['scripts/build-web.js', join(base, 'web')], { encoding: 'utf8' });
  assert.equal(b.status, 0, `npm run build:web failed (npm run build:wasm first):\n${b.stderr}`);
  server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'web', '--port', '0', '--root', pageDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  origin = await new Promise<string>((done, fail) => {
    let out = '', err = '';
    server.stdout!.on('data', (c) => { out += c; const m = /^(http:\/\/127\.0\.0\.1:\d+)\/$/m.exec(out); if (m) done(m[1]); });
    server.stderr!.on('data', (c) => { err += c; });
    server.on('exit', (code) => fail(new Error(`gradformer web exited (${code}): ${err}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

/** A fresh page on the server, with its console errors and every request it makes recorded. */
async function openPage(query = ''): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [], requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(`${origin}/${query}`);
  await page.waitForSelector('section[data-tab="train"] form');
  return { page, errors, requests };
}

/** Every request went to the page's origin (blob: URLs of downloads included). */
function assertSameOrigin(requests: string[]): void {
  const outside = requests.filter((u) => !u.replace(/^blob:/, '').startsWith(`${origin}/`));
  assert.deepEqual(outside, [], `requests outside ${origin}`);
  assert.ok(requests.length > 0);
}

interface Row { epoch: number; loss: number; val: number; test: number; hop: number[] }

/** Fills the run fields, starts training and waits for the end; returns the per-epoch rows (exact values). */
async function trainOnPage(page: Page, s: { epochs: number; seed: number; layers?: number }, during?: () => Promise<void>): Promise<Row[]> {
  await page.fill('input[name=epochs]', String(s.epochs));
  await page.fill('input[name=seed]', String(s.seed));
  if (s.layers !== undefined) await page.fill('input[name=layers]', String(s.layers));
  await page.click('button[type=submit]');
  if (during) await during();
  await page.waitForSelector('section[data-tab="train"][data-state="done"], section[data-tab="train"][data-state="error"]', { timeout: 600_000 });
  assert.equal(await page.textContent('[data-role=message]'), '', 'the run stopped on an error');
  return page.$$eval('tr[data-loss]', (rs) => rs.map((r) => {
    const d = (r as HTMLElement).dataset;
    return { epoch: Number(d.epoch), loss: Number(d.loss), val: Number(d.val), test: Number(d.test), hop: JSON.parse(d.hop!) as number[] };
  }));
}

/** `gradformer train --dataset MUTAG ...` into a new folder; its log lines. */
async function cliTrain(name: string, args: string[], env: Record<string, string> = {}): Promise<{ dir: string; rows: Row[]; final: { best_epoch: number; test: number } }> {
  const dir = join(base, name);
  const r = await cliRunner(join(base, 'home'), env)('train', '--dataset', 'MUTAG', '--out', dir, '--quiet', ...args);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const rows = lines.filter((l) => !l.final).map((l) => ({ epoch: l.epoch, loss: l.train_loss, val: l.val, test: l.test, hop: l.hop }));
  return { dir, rows, final: lines.find((l) => l.final) };
}

test('the page bundle imports no Node built-in; its sizes', () => {
  const meta = JSON.parse(readFileSync(join(pageDir, 'meta.json'), 'utf8')) as { inputs: Record<string, { imports: { path: string }[] }> };
  const builtin = new Set(builtinModules);
  const bad = Object.entries(meta.inputs).flatMap(([input, info]) => [input, ...info.imports.map((i) => i.path)]
    .filter((p) => p.startsWith('node:') || builtin.has(p.split('/')[0])).map((p) => `${input}: ${p}`));
  assert.deepEqual(bad, []);
  const js = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? js(join(d, f)).map((g) => join(f, g)) : f.endsWith('.js') ? [f] : []));
  for (const f of [...js(pageDir), 'gradformer.wasm', 'gradformer-relaxed.wasm']) {
    const bytes = readFileSync(join(pageDir, f));
    console.log(`page ${f}: ${(bytes.length / 1024).toFixed(1)} KiB (gzip ${(gzipSync(bytes).length / 1024).toFixed(1)} KiB)`);
  }
});

test('MUTAG trained in the worker on wasm: the CLI\'s numbers bit for bit, a responsive page, weights that gradformer eval and predict load', async () => {
  // 20 epochs (a few seconds): with 3, a loaded machine let the worker finish before the
  // click below was handled, and the responsiveness check failed for no fault of the page.
  const ref = await cliTrain('cli-wasm', ['--epochs', '20', '--seed', '1'], { GRADFORMER_BACKEND: 'wasm' });
  const { page, errors, requests } = await openPage();
  const rows = await trainOnPage(page, { epochs: 20, seed: 1 }, async () => {
    // A click on the page is handled while the worker trains (after epoch 1 of 20).
    await page.waitForSelector('tr[data-epoch="1"]', { timeout: 600_000 });
    await page.click('details summary');
    const seen = await page.evaluate(() => ({
      open: document.querySelector('details')!.open,
      state: document.querySelector('section[data-tab="train"]')!.getAttribute('data-state'),
      rows: document.querySelectorAll('tr[data-loss]').length,
    }));
    assert.equal(seen.open, true, 'the click was not handled');
    assert.equal(seen.state, 'training', 'training ended before the click; the responsiveness check needs a longer run');
    assert.ok(seen.rows < 20);
  });
  assert.equal(await page.getAttribute('[data-role=kernels]', 'data-kernels'), 'wasm');
  assert.deepEqual(rows, ref.rows, 'the page\'s per-epoch numbers differ from gradformer train\'s');
  // Every chart drew its lines (uPlot canvases with painted pixels).
  const charts = await page.$$eval('[data-chart]', (cs) => cs.map((c) => {
    const cv = c.querySelector('canvas')!;
    const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    let painted = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
    return { name: (c as HTMLElement).dataset.chart, painted };
  }));
  assert.deepEqual(charts.map((c) => c.name), ['loss', 'metric', 'hop']);
  for (const c of charts) assert.ok(c.painted > 500, `chart ${c.name} is blank`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'web-train.png'), fullPage: true });

  // The download: the best epoch's weights and the run's configuration.
  const dl = join(base, 'downloaded');
  mkdirSync(dl);
  for (const [button, name] of [['Download model.safetensors', 'model.safetensors'], ['Download config.json', 'config.json']]) {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click(`button:has-text("${button}")`)]);
    assert.equal(d.suggestedFilename(), name);
    await d.saveAs(join(dl, name));
  }
  assert.deepEqual(JSON.parse(readFileSync(join(dl, 'config.json'), 'utf8')), JSON.parse(readFileSync(join(ref.dir, 'config.json'), 'utf8')));
  const ev = await cli('eval', '--checkpoint', dl, '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  assert.equal(e.epoch, ref.final.best_epoch);
  assert.equal(e.value, ref.final.test, 'eval of the downloaded weights is not the run\'s test metric at its best epoch');
  const pr = await cli('predict', '--checkpoint', dl, '--input', 'MUTAG', '--split', 'test');
  assert.equal(pr.code, 0, pr.stderr);
  const prRef = await cli('predict', '--checkpoint', ref.dir, '--input', 'MUTAG', '--split', 'test');
  assert.equal(pr.stdout, prRef.stdout, 'predictions of the downloaded weights differ from the CLI run\'s best/');
  assert.deepEqual(errors, []);
  assertSameOrigin(requests);
});

test('the TypeScript fallback (?kernels=ts) is shown and gives the CLI\'s TypeScript-kernel numbers', async () => {
  const ref = await cliTrain('cli-ts', ['--epochs', '1', '--seed', '2', '--layers', '2', '--backend', 'ts']);
  const { page, errors, requests } = await openPage('?kernels=ts');
  const rows = await trainOnPage(page, { epochs: 1, seed: 2, layers: 2 });
  assert.equal(await page.getAttribute('[data-role=kernels]', 'data-kernels'), 'ts');
  assert.match((await page.textContent('[data-role=kernels]'))!, /TypeScript/);
  assert.deepEqual(rows, ref.rows);
  assert.deepEqual(errors, []);
  assertSameOrigin(requests);
});

/** MUTAG's TU files as a TU download zips them (MUTAG/MUTAG_*.txt), with `edit` applied to the named file. */
function mutagZip(edit: { file: string; fn: (text: string) => string } | null = null): Buffer {
  const files: Record<string, string> = {};
  for (const f of readdirSync('data/MUTAG').filter((n) => n.endsWith('.txt'))) {
    const text = readFileSync(join('data/MUTAG', f), 'utf8');
    files[`MUTAG/${f}`] = edit?.file === f ? edit.fn(text) : text;
  }
  return Buffer.from(zipFiles(files));
}

test('Stop ends a run; an uploaded TU zip trains like the CLI; a malformed one shows what is wrong, not a blank page', async () => {
  const ref = await cliTrain('cli-zip', ['--epochs', '1', '--seed', '3', '--layers', '2'], { GRADFORMER_BACKEND: 'wasm' });
  const { page, errors, requests } = await openPage();
  const upload = async (name: string, buffer: Buffer) => {
    await page.setInputFiles('input[type=file]', { name, mimeType: 'application/zip', buffer });
    await page.click('button[type=submit]');
    await page.waitForSelector('section[data-tab="train"][data-state="done"], section[data-tab="train"][data-state="error"]', { timeout: 600_000 });
    return (await page.textContent('[data-role=message]'))!;
  };
  // Stop ends the worker: no epoch after it, the best weights so far stay downloadable.
  await page.fill('input[name=epochs]', '500');
  await page.fill('input[name=layers]', '2');
  await page.click('button[type=submit]');
  await page.waitForSelector('tr[data-epoch="1"]', { timeout: 600_000 });
  await page.click('button:has-text("Stop")');
  assert.equal(await page.getAttribute('section[data-tab="train"]', 'data-state'), 'idle');
  assert.match((await page.textContent('[data-role=status]'))!, /Stopped\.$/);
  const stoppedAt = await page.$$eval('tr[data-loss]', (rs) => rs.length);
  await page.waitForTimeout(1500);
  assert.equal(await page.$$eval('tr[data-loss]', (rs) => rs.length), stoppedAt);
  assert.ok(stoppedAt < 500);
  assert.equal(await page.isEnabled('button:has-text("Download model.safetensors")'), true);

  await page.fill('input[name=epochs]', '1');
  await page.fill('input[name=seed]', '3');
  assert.equal(await upload('MUTAG.zip', mutagZip()), '');
  const rows = await page.$$eval('tr[data-loss]', (rs) => rs.map((r) => Number((r as HTMLElement).dataset.loss)));
  assert.deepEqual(rows, ref.rows.map((r) => r.loss));

  const badLine = (text: string) => text.split('\n').map((l, i) => (i === 2 ? '1, x' : l)).join('\n');
  assert.match(await upload('bad.zip', mutagZip({ file: 'MUTAG_A.txt', fn: badLine })), /^bad\.zip\/MUTAG\/MUTAG_A\.txt:3: /);
  assert.equal(await page.getAttribute('section[data-tab="train"]', 'data-state'), 'error');
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'web-train-bad-zip.png') });
  assert.match(await upload('short.zip', mutagZip({ file: 'MUTAG_graph_labels.txt', fn: (t) => t.split('\n').slice(0, 100).join('\n') })),
    /^short\.zip\/MUTAG\/MUTAG_graph_labels\.txt:101: file ends after 100 lines; expected 188/);
  assert.match(await upload('notes.zip', Buffer.from('these are notes, not an archive\n')), /^notes\.zip: not a ZIP file/);
  assert.match(await upload('other.zip', Buffer.from(zipFiles({ 'readme.txt': 'no dataset here' }))), /^other\.zip: no NAME_A\.txt in the archive/);
  // The page is still whole: the tab bar and the form are there.
  assert.ok(await page.isVisible('nav button[data-tab="train"]'));
  assert.ok(await page.isVisible('button[type=submit]'));
  assert.deepEqual(errors, []);
  assertSameOrigin(requests);
});
