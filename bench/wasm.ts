/**
 * WebAssembly benchmark: one training step (forward, loss, backward, optimiser
 * step) of the official MUTAG and NCI1 presets on one batch of the preset's
 * size, on the wasm kernels (one thread; the build the loader picks, gradformer-relaxed.wasm
 * on Node 20+) with the tensors in the wasm
 * heap (the wasm device) and on host arrays copied in and out per call (the cpu
 * device), the native addon (one thread) and the TypeScript kernels, in Node. The same model (same seed), the
 * same batch and the same dropout draws on every backend.
 *
 *   npm run bench:wasm [-- --reps N] [--data-root DIR] [--json]
 *
 * Prints the median ms per step after two warm-up steps, wasm/native and
 * ts/native ratios, and each backend's first-step loss (they agree to float32
 * rounding: the kernels are checked against each other in the tests).
 */
import { buildModel } from '../src/train/trainer.js';
import { computeLoss } from '../src/train/losses.js';
import { Optimizer } from '../src/train/optim.js';
import { setBackend, useKernels } from '../src/tensor/backend.js';
import { setDevice, type DeviceName } from '../src/tensor/device.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { loadWasmKernels, wasmPath } from '../src/tensor/kernels_wasm_node.js';
import { basename } from 'node:path';
import { benchArgs } from './args.js';
import { benchBatch } from './batch.js';

const A = benchArgs('bench:wasm', { strings: ['reps', 'data-root'], flags: ['json'] });
const json = A.flag('json');
const reps = A.num('reps', 5, true)!;
const dataRoot = A.str('data-root');

const native = loadNativeKernels();
if (native === null) throw new Error('bench:wasm: the native addon is not built (npm run install); it is the baseline here');
native.setThreads(1);
const wasm = loadWasmKernels();
const backends: [string, Kernels, DeviceName][] = [['wasm', wasm, 'wasm'], ['wasm_copy', wasm, 'cpu'], ['native', native, 'cpu'], ['ts', tsKernels, 'cpu']];

// Two: the engines compile wasm in tiers, and the first steps still run some of it
// unoptimised (Node 20, MUTAG: 675, 369, then about 200-250 ms).
const WARMUP = 2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const wasmFile = basename(wasmPath() ?? '?');
if (!json) console.log(`training step, median of ${reps} after ${WARMUP} warm-up steps, one thread each; wasm: ${wasmFile}`);
for (const name of ['MUTAG', 'NCI1']) {
  const { run, batch } = await benchBatch(name, dataRoot);
  const ms: Record<string, number> = {}, loss: Record<string, number> = {};
  for (const [label, K, device] of backends) {
    useKernels(K);
    setDevice(device);
    const model = buildModel(run);
    model.train();
    const o = new Optimizer(run.train.optimizer, model.namedParameters(), { lr: run.train.lr, weightDecay: run.train.weight_decay });
    const times: number[] = [];
    for (let r = 0; r < WARMUP + reps; r++) {
      const t0 = performance.now();
      o.zeroGrad();
      const l = computeLoss(run.train.loss, model.forward(batch).out, batch, false);
      if (r === 0) loss[label] = l.item();
      l.backward();
      o.step();
      if (r >= WARMUP) times.push(performance.now() - t0);
    }
    ms[label] = median(times);
  }
  const line = { bench: 'wasm', dataset: name, graphs: batch.numGraphs, nodes: batch.numNodes, layers: run.model.num_layers,
    channels: run.model.channels, wasm_file: wasmFile, wasm_ms: ms.wasm, wasm_copy_ms: ms.wasm_copy, native_ms: ms.native, ts_ms: ms.ts,
    wasm_over_native: ms.wasm / ms.native, ts_over_native: ms.ts / ms.native, loss };
  if (json) { console.log(JSON.stringify(line)); continue; }
  console.log(`${name.padEnd(6)} batch ${batch.numGraphs} graphs / ${batch.numNodes} nodes, ${run.model.num_layers} layers x ${run.model.channels}: ` +
    `wasm ${ms.wasm.toFixed(1)} ms (${ms.wasm_copy.toFixed(1)} with arrays copied per call), native ${ms.native.toFixed(1)} ms, ts ${ms.ts.toFixed(1)} ms ` +
    `(wasm/native ${(ms.wasm / ms.native).toFixed(2)}x, ts/native ${(ms.ts / ms.native).toFixed(2)}x); ` +
    `first loss wasm ${loss.wasm.toFixed(6)} native ${loss.native.toFixed(6)} ts ${loss.ts.toFixed(6)}`);
}
setDevice('cpu');
setBackend('native');
