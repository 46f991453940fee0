/**
 * Browser step benchmark (issue #17): one training step (forward, loss, backward,
 * optimiser step) of the official MUTAG and NCI1 presets on one batch of the
 * preset's size, in headless Chromium on the gradformer/web bundle with the wasm
 * kernels (SIMD128, one thread) and with the TypeScript kernels, beside the
 * native addon (one thread) and the wasm kernels in Node on the same batch. The
 * same model (the run's init and dropout streams), batch and dropout draws
 * everywhere: the first-step losses are printed to show it.
 *
 *   npm run build:wasm && npm run build:web && npm run bench:web [-- --reps N] [--data-root DIR] [--json]
 *
 * Prints the median ms per step after one warm-up step and the ratios to native.
 * Needs Debian's chromium (/usr/bin/chromium) and dist/web/ (npm run build:web).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startWebServer } from '../src/cli/web_server.js';
import { computePre } from '../src/data/preprocess.js';
import { packageRoot } from '../src/data/registry.js';
import { collate } from '../src/graph/batch.js';
import type { Graph, GraphPre } from '../src/graph/types.js';
import type { GradformerConfig } from '../src/models/config.js';
import { setBackend, useKernels } from '../src/tensor/backend.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { loadWasmKernels } from '../src/tensor/kernels_wasm_node.js';
import { loadDatasetByName } from '../src/train/data.js';
import { computeLoss } from '../src/train/losses.js';
import { Optimizer, type OptimizerName } from '../src/train/optim.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { buildModel } from '../src/train/trainer.js';
import type * as Web from '../src/web/index.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const reps = Number(opt('--reps') ?? '5');
if (!Number.isInteger(reps) || reps < 1) throw new Error(`bench:web: --reps needs a positive integer, got '${opt('--reps')}'`);
const dataRoot = opt('--data-root');
const CHROMIUM = '/usr/bin/chromium';
const webDir = join(packageRoot(), 'dist', 'web');
if (!existsSync(CHROMIUM)) throw new Error(`bench:web: ${CHROMIUM} is missing (apt-get install -y chromium)`);
if (!existsSync(join(webDir, 'index.js'))) throw new Error(`bench:web: ${webDir}/index.js is missing; run npm run build:wasm && npm run build:web`);

const native = loadNativeKernels();
if (native === null) throw new Error('bench:web: the native addon is not built (npm run install); it is the baseline here');
native.setThreads(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** What the browser needs to rebuild the batch and the model: plain arrays (page.evaluate passes JSON). */
interface StepInput {
  lib: string; kernels: 'wasm' | 'ts'; reps: number; seed: number; config: GradformerConfig;
  optimizer: OptimizerName; lr: number; weightDecay: number; loss: string;
  graphs: { numNodes: number; edgeIndex: number[]; nodeFeat: number[] | null; nodeCat: number[] | null; edgeFeat: number[] | null; edgeCat: number[] | null; y: number[] }[];
  pre: { spd: number[]; pe: number[] }[];
}

/** Runs in the page: the same step as `nodeStep`, on the bundle. Self-contained (serialised into the browser). */
async function browserStep(a: StepInput): Promise<{ ms: number; loss: number }> {
  const GF = (await import(a.lib)) as typeof Web;
  if (a.kernels === 'wasm') await GF.useWasmKernels(); else GF.useKernels(GF.tsKernels);
  const or = <T>(v: number[] | null, make: (x: number[]) => T) => (v === null ? null : make(v));
  const graphs = a.graphs.map((g) => ({
    numNodes: g.numNodes, edgeIndex: Int32Array.from(g.edgeIndex), nodeFeat: or(g.nodeFeat, (x) => Float32Array.from(x)),
    nodeCat: or(g.nodeCat, (x) => Int32Array.from(x)), edgeFeat: or(g.edgeFeat, (x) => Float32Array.from(x)),
    edgeCat: or(g.edgeCat, (x) => Int32Array.from(x)), y: Float32Array.from(g.y), nodeY: null,
  }));
  const pre = a.pre.map((p) => ({ spd: Uint16Array.from(p.spd), pe: Float32Array.from(p.pe) }));
  const batch = GF.collate(graphs, pre, graphs.map((_, i) => i));
  // The run's streams, as streamSeeds (src/train/loop.ts) draws them: init, shuffle, dropout.
  const master = new GF.Rng(a.seed);
  const init = master.nextU32();
  master.nextU32();
  const dropout = master.nextU32();
  const model = new GF.Gradformer(a.config, new GF.Rng(init), new GF.Rng(dropout));
  model.train();
  const o = new GF.Optimizer(a.optimizer, model.namedParameters(), { lr: a.lr, weightDecay: a.weightDecay });
  const times: number[] = [];
  let loss = NaN;
  for (let r = 0; r <= a.reps; r++) {
    const t0 = performance.now();
    o.zeroGrad();
    const l = GF.computeLoss(a.loss as Web.LossName, model.forward(batch).out, batch, false);
    if (r === 0) loss = l.item();
    l.backward();
    o.step();
    if (r > 0) times.push(performance.now() - t0);
  }
  return { ms: [...times].sort((x, y) => x - y)[times.length >> 1], loss };
}

const server = await startWebServer(webDir, 0, '127.0.0.1');
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  // tsx (esbuild's keepNames) wraps named functions in __name(...); browserStep carries such calls into the page.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.goto(`${server.url}page/`);
  if (!json) console.log(`training step, median of ${reps} after 1 warm-up, one thread each (Chromium ${browser.version()})`);
  for (const name of ['MUTAG', 'NCI1']) {
    const ds = await loadDatasetByName(name, dataRoot);
    const run = buildRunConfig(ds, name, {}, 0);
    const idx = Array.from({ length: Math.min(run.train.batch_size, ds.graphs.length) }, (_, i) => i);
    const graphs: Graph[] = idx.map((i) => ds.graphs[i]);
    const pre: GraphPre[] = await computePre(graphs, run.train.pe, false, name, 1);
    const batch = collate(graphs, pre, idx.map((_, i) => i));
    const ms: Record<string, number> = {}, loss: Record<string, number> = {};
    for (const [label, K] of [['node-native', native], ['node-wasm', loadWasmKernels()]] as [string, Kernels][]) {
      useKernels(K);
      const model = buildModel(run);
      model.train();
      const o = new Optimizer(run.train.optimizer, model.namedParameters(), { lr: run.train.lr, weightDecay: run.train.weight_decay });
      const times: number[] = [];
      for (let r = 0; r <= reps; r++) {
        const t0 = performance.now();
        o.zeroGrad();
        const l = computeLoss(run.train.loss, model.forward(batch).out, batch, false);
        if (r === 0) loss[label] = l.item();
        l.backward();
        o.step();
        if (r > 0) times.push(performance.now() - t0);
      }
      ms[label] = median(times);
    }
    const arr = (a: ArrayLike<number> | null) => (a === null ? null : Array.from(a));
    const input: Omit<StepInput, 'kernels'> = {
      lib: `${server.url}index.js`, reps, seed: run.seed, config: run.model, optimizer: run.train.optimizer, lr: run.train.lr,
      weightDecay: run.train.weight_decay, loss: run.train.loss,
      graphs: graphs.map((g) => ({ numNodes: g.numNodes, edgeIndex: arr(g.edgeIndex)!, nodeFeat: arr(g.nodeFeat), nodeCat: arr(g.nodeCat), edgeFeat: arr(g.edgeFeat), edgeCat: arr(g.edgeCat), y: arr(g.y)! })),
      pre: pre.map((p) => ({ spd: arr(p.spd)!, pe: arr(p.pe)! })),
    };
    for (const kernels of ['wasm', 'ts'] as const) {
      // A fresh page per backend: the kernels in use are the bundle's module state.
      await page.reload();
      const r = await page.evaluate(browserStep, { ...input, kernels });
      ms[`chromium-${kernels}`] = r.ms;
      loss[`chromium-${kernels}`] = r.loss;
    }
    const line = { bench: 'web', dataset: name, graphs: batch.numGraphs, nodes: batch.numNodes, layers: run.model.num_layers, channels: run.model.channels,
      chromium_wasm_ms: ms['chromium-wasm'], chromium_ts_ms: ms['chromium-ts'], node_native_ms: ms['node-native'], node_wasm_ms: ms['node-wasm'],
      chromium_wasm_over_native: ms['chromium-wasm'] / ms['node-native'], loss };
    if (json) { console.log(JSON.stringify(line)); continue; }
    console.log(`${name.padEnd(6)} batch ${batch.numGraphs} graphs / ${batch.numNodes} nodes, ${run.model.num_layers} layers x ${run.model.channels}: ` +
      `Chromium wasm ${ms['chromium-wasm'].toFixed(1)} ms, Chromium ts ${ms['chromium-ts'].toFixed(1)} ms, ` +
      `Node native ${ms['node-native'].toFixed(1)} ms, Node wasm ${ms['node-wasm'].toFixed(1)} ms ` +
      `(Chromium wasm/native ${(ms['chromium-wasm'] / ms['node-native']).toFixed(2)}x, Chromium ts/native ${(ms['chromium-ts'] / ms['node-native']).toFixed(2)}x); ` +
      `first loss ${Object.entries(loss).map(([k, v]) => `${k} ${v.toFixed(6)}`).join(', ')}`);
  }
} finally {
  await browser.close();
  await server.close();
  setBackend('native');
}
