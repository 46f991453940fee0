/**
 * The Train tab's Web Worker: loads the kernels (wasm, else TypeScript), the
 * dataset (bundled MUTAG or an uploaded TU zip), and trains (run.ts), posting
 * every step of the way (protocol.ts). The page's thread never computes, so it
 * stays responsive; stopping a run is terminating this worker.
 */
import { setDevice, useWasmKernels, wasmFileName } from '../../index.js';
import type { TrainRequest, WorkerMessage } from './protocol.js';
import { runConfigFor, trainRun } from './run.js';
import { tuFromUrl, tuFromZip } from './tu_zip.js';

// This file is the entry train/worker.js, so these URLs are relative to the page folder's train/.
// The kernels' build this browser runs fastest (relaxed SIMD where it can).
const WASM_URL = new URL(`../${wasmFileName()}`, import.meta.url);
const MUTAG_URL = new URL('../data/MUTAG/', import.meta.url);

const scope = self as unknown as { postMessage(m: WorkerMessage, transfer?: Transferable[]): void };
const post = (m: WorkerMessage, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

async function start(req: TrainRequest): Promise<void> {
  if (req.kernels === 'ts') {
    post({ type: 'kernels', name: 'ts', note: 'TypeScript kernels requested (?kernels=ts)' });
  } else if (typeof WebAssembly !== 'object') {
    post({ type: 'kernels', name: 'ts', note: 'this browser has no WebAssembly' });
  } else {
    try {
      await useWasmKernels(WASM_URL);
      // Tensors in the wasm heap: the kernels work in place, no copy in and out per call
      // (a third of a step otherwise); the same bits as copying (test/device_wasm.test.ts).
      setDevice('wasm');
      post({ type: 'kernels', name: 'wasm' });
    } catch (e) {
      post({ type: 'kernels', name: 'ts', note: (e as Error).message });
    }
  }
  const ds = req.data.kind === 'bundled' ? await tuFromUrl(MUTAG_URL, 'MUTAG') : await tuFromZip(req.data.fileName, new Uint8Array(req.data.bytes));
  const run = runConfigFor(ds, req);
  const config = JSON.stringify(run, null, 1) + '\n';
  const res = await trainRun(ds, run, {
    prepared: ({ split, preprocessSeconds }) => post({
      type: 'dataset', name: ds.name, graphs: ds.graphs.length, classes: ds.numClasses, task: ds.task, preset: run.preset,
      metric: run.train.metric, split, heads: run.model.nhead, preprocessSeconds,
    }),
    epoch: (record, improved) => post({ type: 'epoch', record, improved }),
    best: (epoch, weights) => {
      const buf = weights.slice().buffer;
      post({ type: 'best', epoch, weights: buf, config }, [buf]);
    },
  });
  post({ type: 'done', bestEpoch: res.bestEpoch, val: res.val, test: res.test, metric: run.train.metric });
}

addEventListener('message', (e: MessageEvent<TrainRequest>) => {
  if (e.data?.type !== 'start') return;
  start(e.data).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
});
