/**
 * WebAssembly training speed in Chromium: one training step (forward, loss,
 * backward, optimiser step) of the official MUTAG and NCI1 presets on the same
 * batch as bench/wasm.ts, run by the browser bundle gradformer/web (dist/web/) in
 * Debian's headless /usr/bin/chromium, on the wasm kernels (one thread; the build
 * the page loads, gradformer-relaxed.wasm where Chromium runs relaxed SIMD) with the
 * tensors in the wasm heap (the wasm device), on the same kernels with host arrays
 * copied in and out per call (the cpu device), on the SIMD128 build (gradformer.wasm,
 * what engines without relaxed SIMD load) with heap tensors, and on the TypeScript
 * kernels; beside them the native addon's step (one thread), timed here in Node in
 * the same run. The same model (same seed), batch and dropout draws everywhere.
 *
 *   npm run bench:wasm:browser [-- --reps N] [--data-root DIR] [--json]
 *
 * (the npm script builds dist/web first). The page is served from memory to the
 * browser under one made-up origin (playwright's request routing: no port, no
 * files written); a request for anything else is refused and reported. Prints
 * one table: median ms per step after two warm-up steps, and each backend's ratio
 * to native; the first-step losses show the backends computed the same thing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { RunConfig } from '../src/train/runconfig.js';
import { buildModel, streamSeeds } from '../src/train/trainer.js';
import type { GraphBatch } from '../src/graph/types.js';
import { computeLoss } from '../src/train/losses.js';
import { Optimizer } from '../src/train/optim.js';
import { useKernels } from '../src/tensor/backend.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { benchArgs } from './args.js';
import { benchBatch } from './batch.js';

const CHROMIUM = '/usr/bin/chromium';
const ORIGIN = 'http://gradformer.bench';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'dist', 'web');

const A = benchArgs('bench:wasm:browser', { strings: ['reps', 'data-root'], flags: ['json'] });
const json = A.flag('json');
const reps = A.num('reps', 5, true)!;
const dataRoot = A.str('data-root');
if (!existsSync(CHROMIUM)) throw new Error(`bench:wasm:browser: ${CHROMIUM} is missing; install Debian's chromium (apt-get install -y chromium)`);
if (!existsSync(join(web, 'index.js'))) throw new Error(`bench:wasm:browser: ${web}/index.js is missing; build it with \`npm run build:wasm && npm run build:web\``);
const native = loadNativeKernels();
if (native === null) throw new Error('bench:wasm:browser: the native addon is not built (npm run install); it is the baseline here');
native.setThreads(1);

// Two: the engines compile wasm in tiers, and the first steps still run some of it
// unoptimised (Node 20, MUTAG: 675, 369, then about 200-250 ms).
const WARMUP = 2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** What the page needs to build the same model and step: plain JSON (typed arrays as tagged number lists). */
type Packed = { t: string; v: number[] } | number | null;
interface StepJob { model: RunConfig['model']; init: number; dropout: number; optimizer: string; lr: number; weightDecay: number; loss: string; batch: Record<string, Packed>; warmup: number; reps: number }

function packBatch(b: GraphBatch): Record<string, Packed> {
  const out: Record<string, Packed> = {};
  for (const [k, v] of Object.entries(b)) out[k] = ArrayBuffer.isView(v) ? { t: v.constructor.name, v: Array.from(v as Float32Array) } : v as number | null;
  return out;
}

/** Runs in the page: the step on each backend, timed with performance.now(). */
async function pageBench(job: StepJob): Promise<{ ms: Record<string, number>; loss: Record<string, number>; file: string }> {
  // The bundle is served under the page's origin; the specifier is built at run time so no bundler resolves it.
  const g = await import(`${location.origin}/index.js`);
  const file: string = g.wasmFileName();
  const simd128 = await g.useWasmKernels(`${location.origin}/gradformer.wasm`);
  const wasm = await g.useWasmKernels(); // the page's choice, last: the wasm device is over it
  const CT: Record<string, new (a: number[]) => ArrayBufferView> = { Float32Array, Int32Array, Uint16Array, Uint8Array, Uint32Array, Float64Array };
  const batch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(job.batch)) batch[k] = v !== null && typeof v === 'object' ? new CT[v.t](v.v) : v;
  const ms: Record<string, number> = {}, loss: Record<string, number> = {};
  for (const [label, kernels, device] of [['wasm', wasm, 'wasm'], ['wasm_copy', wasm, 'cpu'], ['wasm_simd128', simd128, 'wasm'], ['ts', g.tsKernels, 'cpu']] as const) {
    g.useKernels(kernels);
    g.useWasmDevice(kernels === g.tsKernels ? wasm : kernels);
    g.setDevice(device);
    const model = new g.Gradformer(job.model, new g.Rng(job.init), new g.Rng(job.dropout)).to(device);
    model.train();
    const o = new g.Optimizer(job.optimizer, model.namedParameters(), { lr: job.lr, weightDecay: job.weightDecay });
    const times: number[] = [];
    for (let r = 0; r < job.warmup + job.reps; r++) {
      const t0 = performance.now();
      o.zeroGrad();
      const l = g.computeLoss(job.loss, model.forward(batch).out, batch, false);
      if (r === 0) loss[label] = l.item();
      l.backward();
      o.step();
      if (r >= job.warmup) times.push(performance.now() - t0);
    }
    ms[label] = times.sort((a, b) => a - b)[times.length >> 1];
  }
  g.setDevice('cpu');
  return { ms, loss, file };
}

const MIME: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json', '.json': 'application/json', '.html': 'text/html' };
const ctx = await chromium.launchPersistentContext('', {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
// tsx compiles this file keeping function names (esbuild's keepNames), which wraps
// functions in calls to a `__name` helper; pageBench's source runs in the page, so
// the page gets that helper too.
await ctx.addInitScript('globalThis.__name = (f) => f;');
const refused: string[] = [], errors: string[] = [];
await ctx.route('**/*', async (route) => {
  const url = new URL(route.request().url());
  const file = url.pathname === '/' ? null : join(web, url.pathname);
  if (url.origin !== ORIGIN || (file !== null && (!file.startsWith(web + '/') || !existsSync(file)))) {
    refused.push(route.request().url());
    return route.abort();
  }
  if (file === null) return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>gradformer wasm bench</title>' });
  return route.fulfill({ contentType: MIME[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
});

try {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${ORIGIN}/`);
  const version = ctx.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
  if (!json) console.log(`training step, median of ${reps} after ${WARMUP} warm-up steps, one thread each; browser: Chromium ${version}, native: Node ${process.versions.node}`);
  const rows: string[][] = [];
  let wasmFile = '';
  for (const name of ['MUTAG', 'NCI1']) {
    const { run, batch } = await benchBatch(name, dataRoot);

    // Native, in Node: the same model, batch and step as in the page.
    useKernels(native);
    const model = buildModel(run);
    model.train();
    const o = new Optimizer(run.train.optimizer, model.namedParameters(), { lr: run.train.lr, weightDecay: run.train.weight_decay });
    const times: number[] = [];
    let nativeLoss = NaN;
    for (let r = 0; r < WARMUP + reps; r++) {
      const t0 = performance.now();
      o.zeroGrad();
      const l = computeLoss(run.train.loss, model.forward(batch).out, batch, false);
      if (r === 0) nativeLoss = l.item();
      l.backward();
      o.step();
      if (r >= WARMUP) times.push(performance.now() - t0);
    }
    const nativeMs = median(times);

    const seeds = streamSeeds(run.seed);
    const job: StepJob = { model: run.model, init: seeds.init, dropout: seeds.dropout, optimizer: run.train.optimizer, lr: run.train.lr,
      weightDecay: run.train.weight_decay, loss: run.train.loss, batch: packBatch(batch), warmup: WARMUP, reps };
    const { ms, loss, file } = await page.evaluate(pageBench, job);
    if (errors.length > 0) throw new Error(`bench:wasm:browser: the page reported errors: ${errors.join('; ')}`);
    const line = { bench: 'wasm_browser', dataset: name, graphs: batch.numGraphs, nodes: batch.numNodes, layers: run.model.num_layers,
      channels: run.model.channels, wasm_file: file, wasm_ms: ms.wasm, wasm_copy_ms: ms.wasm_copy, wasm_simd128_ms: ms.wasm_simd128, ts_ms: ms.ts, native_ms: nativeMs,
      wasm_over_native: ms.wasm / nativeMs, loss: { ...loss, native: nativeLoss } };
    if (json) { console.log(JSON.stringify(line)); continue; }
    const cell = (v: number) => `${v.toFixed(1)} ms (${(v / nativeMs).toFixed(2)}x)`;
    rows.push([`${name}, ${batch.numGraphs} graphs / ${batch.numNodes} nodes, ${run.model.num_layers} x ${run.model.channels}`,
      cell(ms.wasm), cell(ms.wasm_copy), cell(ms.wasm_simd128), cell(ms.ts), `${nativeMs.toFixed(1)} ms`,
      [loss.wasm, loss.wasm_copy, loss.wasm_simd128, loss.ts, nativeLoss].map((v) => v.toFixed(6)).join(' / ')]);
    wasmFile = file;
  }
  if (!json) {
    const head = [`step (wasm: ${wasmFile})`, 'wasm (heap tensors)', 'wasm (copied per call)', 'gradformer.wasm (SIMD128)', 'TypeScript', 'native (Node)',
      'first loss wasm / copied / SIMD128 / ts / native'];
    const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    for (const r of [head, w.map((n) => '-'.repeat(n)), ...rows]) console.log(r.map((v, c) => v.padEnd(w[c])).join('  ').trimEnd());
    console.log('(ratios: to native)');
  }
  if (refused.length > 0) throw new Error(`bench:wasm:browser: the page asked for what is not served: ${refused.join(', ')}`);
} finally {
  await ctx.close();
}
