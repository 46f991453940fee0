// Lifetimes on the wasm device (docs/WEB.md, "The wasm device"): what a training step
// or an evaluation puts in the WebAssembly heap is handed back explicitly, not left to
// the FinalizationRegistry, whose callbacks run only when the event loop turns, which
// a synchronous training loop (the CLI's trainer, an epoch in the page's worker) never
// lets happen. A batch's arrays are staged in one block, freed when the next batch is
// staged (src/tensor/staging.ts, shared with cuda); the loss value and gradient, the
// decay mask's bucket sums, BatchNorm's saved statistics and stale dropout state go
// back after the backward that reads them. Mirrors the cuda test of the same rule
// (test/cuda_syncs.test.ts, "a staged batch is freed when the next one is staged").
//
// Counted by the heap itself (WasmHeap.bytesInUse / blocksInUse: every block taken
// through it and not yet released). Run on the code before these rules (main at
// 0a009d6, with this counter added), every test below fails: a training step left 19
// blocks behind, and the trainer's loop grew the heap by 3.9 MB (99 blocks) an epoch.
//
// The module must be built (CI does): a missing one FAILS this file, saying how.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setDevice } from '../src/tensor/device.js';
import { kernels, useKernels } from '../src/tensor/backend.js';
import { loadWasmKernels } from '../src/tensor/kernels_wasm_node.js';
import { WasmArray } from '../src/tensor/wasm_heap.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig, type RunConfig } from '../src/train/runconfig.js';
import { buildModel, predict } from '../src/train/trainer.js';
import { TrainingLoop } from '../src/train/loop.js';
import { computePre } from '../src/data/preprocess.js';
import { computeLoss, lossArrays } from '../src/train/losses.js';
import { Optimizer } from '../src/train/optim.js';
import { GraphLoader } from '../src/data/loader.js';
import type { GraphBatch } from '../src/graph/types.js';

const W = loadWasmKernels();
const heap = W.heap;
const before = kernels();
useKernels(W);
after(() => { useKernels(before); setDevice('cpu'); });

/** The heap's count now. */
const inUse = () => ({ bytes: heap.bytesInUse(), blocks: heap.blocksInUse() });

/** Bytes of a batch's host arrays (all of them: more than a device stages). */
function batchBytes(b: GraphBatch): number {
  return Object.values(b).reduce((n: number, v) => n + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0);
}

/** MUTAG with a small model (2 layers, dropout on), its preprocessing, and batches of 8 graphs made afresh per call. */
async function mutag(decay: boolean): Promise<{ run: RunConfig; fresh: (graphs: number) => GraphBatch[]; loop: () => TrainingLoop }> {
  const ds = await loadDatasetByName('MUTAG');
  const run = buildRunConfig(ds, 'MUTAG', { model: { num_layers: 2, channels: 32, nhead: 4, dropout: 0.2, decay } }, 0);
  const pre = await computePre(ds.graphs, run.train.pe, false, 'MUTAG', 1);
  const idx = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  // Fresh host arrays each call, as a new epoch's shuffled batches are: each is a new copy into the heap.
  return { run, fresh: (n) => [...new GraphLoader(ds.graphs, pre, idx(n), { batchSize: 8 })], loop: () => new TrainingLoop(run, { ds, pre }) };
}

describe('views into a block of the wasm heap', () => {
  it('add no block, go with their parent, and are refused by name once it is freed', () => {
    const c0 = inUse();
    const block = new WasmArray(heap, 'u8', 64, false);
    assert.deepEqual(inUse(), { bytes: c0.bytes + 64, blocks: c0.blocks + 1 });
    const v = WasmArray.view(block, 16, 'f32', 4);
    v.view().set([1, 2, 3, 4]);
    assert.deepEqual([...new Float32Array(block.view().buffer, block.ptr + 16, 4)], [1, 2, 3, 4], 'the view writes into its parent');
    assert.equal(inUse().blocks, c0.blocks + 1, 'a view takes no block');
    v.free();
    assert.deepEqual([...v.view()], [1, 2, 3, 4], "a view's own free() does nothing: it goes with its parent");
    assert.throws(() => WasmArray.view(block, 60, 'f32', 2), /wasm: a Float32Array\(2\) at byte 60 does not fit in a Uint8Array\(64\)/);
    block.free();
    assert.deepEqual(inUse(), c0, 'freeing the parent gives its bytes back');
    assert.throws(() => v.view(), /^Error: wasm: use of a freed Float32Array$/);
    assert.throws(() => W.unary('relu', v as never, new Float32Array(4), 0), /unary: x must be a Float32Array, got a freed wasm Float32Array/);
  });
});

describe('a loop that never yields does not grow the wasm heap', () => {
  // Decay (Gradformer) and without (GraphGPS: its all-ones mask is staged with the batch).
  for (const decay of [true, false]) {
    it(`training steps on fresh batches (${decay ? 'Gradformer' : 'GraphGPS'}): 12 batches leave what 3 leave`, async () => {
      const { run, fresh } = await mutag(decay);
      const batches = fresh(8 * 14);
      setDevice('wasm');
      try {
        const model = buildModel(run);
        model.train();
        const o = new Optimizer(run.train.optimizer, model.namedParameters(), { lr: run.train.lr, weightDecay: run.train.weight_decay });
        // The trainer's step (src/train/loop.ts).
        const step = (b: GraphBatch) => {
          o.zeroGrad();
          model.stage(b, lossArrays(run.train.loss, b, false));
          const l = computeLoss(run.train.loss, model.forward(b).out, b, false);
          assert.ok(Number.isFinite(l.item()));
          l.backward();
          o.step();
        };
        batches.slice(0, 2).forEach(step); // the optimiser's state and the dropout state words are made here
        const c0 = inUse();
        batches.slice(2, 5).forEach(step);
        const c3 = inUse();
        batches.slice(5, 14).forEach(step);
        const c12 = inUse();
        const one = Math.max(...batches.map(batchBytes)), nine = batches.slice(5, 14).reduce((n, b) => n + batchBytes(b), 0);
        // Left to the finalizers, every step's batch arrays and loss buffers stay (9 more batches: `nine` bytes and more).
        assert.equal(c12.blocks, c3.blocks, `blocks in use after 3 batches ${c3.blocks} (${c0.blocks} before), after 12 ${c12.blocks}`);
        assert.ok(Math.abs(c12.bytes - c3.bytes) < one,
          `bytes in use after 3 batches +${c3.bytes - c0.bytes}, after 12 +${c12.bytes - c0.bytes}: differ by more than one batch's arrays (${one}; 9 batches: ${nine})`);
      } finally { setDevice('cpu'); }
    });
  }

  it('evaluation of fresh batches leaves nothing behind but the last staged batch', async () => {
    const { run, fresh } = await mutag(true);
    setDevice('wasm');
    try {
      const model = buildModel(run);
      predict(model, fresh(120), false);
      const c0 = inUse();
      let staged = 0;
      for (let r = 0; r < 3; r++) {
        const bs = fresh(120);
        staged += bs.reduce((n, b) => n + batchBytes(b), 0);
        predict(model, bs, false);
      }
      const c1 = inUse();
      assert.equal(c1.blocks, c0.blocks, 'blocks in use after 3 evaluations of 15 new batches');
      assert.ok(Math.abs(c1.bytes - c0.bytes) < staged / 45, `bytes grew by ${c1.bytes - c0.bytes} over 45 new batches whose arrays take ${staged} bytes`);
    } finally { setDevice('cpu'); }
  });

  it("epochs of the trainer's loop (as the CLI and the page's worker run it) leave the heap as they found it", async () => {
    const { loop } = await mutag(true);
    setDevice('wasm');
    try {
      const L = loop();
      const counts = [1, 2, 3, 4].map(() => { L.runEpoch(); return inUse(); });
      // The first epoch makes the optimiser's state; from then on each epoch ends on the same staged (last test) batch.
      assert.deepEqual(counts[3], counts[1], `in use after epochs 2..4: ${JSON.stringify(counts.slice(1))}`);
    } finally { setDevice('cpu'); }
  });
});
