// How often a training step on cuda waits for the device or copies to it, counted by
// the CUDA runtime (native/cuda/runtime.cu, Cuda.transfers()), on the official NCI1
// and ZINC presets; and that the numbers of those runs still follow cpu.
//
// Needs the CUDA addon and a GPU, or the CPU emulation of CUDA (npm test runs this file
// on it: GRADFORMER_CUDA_PATH=build/cuda-emu/gradformer_cuda_emu.node). Elsewhere every
// test reports itself skipped by name with the reason.
//
// The bounds are what the step needs today, each one justified:
//   reads (device -> host, each waits for the device): 1, the loss, which the trainer
//     reads every step for the per-batch progress event and the divergence check
//     (stopping at the step that produced a NaN). Nothing else: GIN's eps is kept on
//     the host (a fixed buffer), the decay table and its gradients stay on the device
//     (decayTable, decayTableBackward), the loss value the kernel returned is not read again.
//   uploads (host -> device, asynchronous): 1 for the batch and its targets (staged in
//     one copy), 1 for the loss value into its tensor, and one attention-dropout mask
//     per layer (drawn on the host by the seeded generator, so every device trains on
//     the same masks): 2 + num_layers.
//   syncs: none.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cudaUnavailable, loadCuda, type Transfers } from '../src/tensor/kernels_cuda.js';
import { setDevice } from '../src/tensor/device.js';
import type { GraphDataset } from '../src/data/dataset.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { computePre } from '../src/data/preprocess.js';
import { train, type EpochRecord } from '../src/train/trainer.js';

const why = cudaUnavailable();
const home = mkdtempSync(join(tmpdir(), 'gf-cuda-syncs-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** A GPU test: skipped by name, with the reason, where no CUDA device is usable. */
function gpuIt(name: string, fn: () => Promise<void>): void {
  it(name, async (t) => {
    if (why !== null) { t.skip(why); return; }
    await fn();
  });
}

/** The dataset cut to one training batch of its preset (and a few graphs to evaluate). */
async function oneBatch(name: string, batch: number): Promise<GraphDataset> {
  const ds = await loadDatasetByName(name);
  if (ds.officialSplit) {
    const s = ds.officialSplit;
    return { ...ds, officialSplit: { train: s.train.slice(0, batch), val: s.val.slice(0, 16), test: s.test.slice(0, 16) } };
  }
  // 80/10/10 of the first graphs: the training split is then exactly one batch.
  return { ...ds, graphs: ds.graphs.slice(0, Math.round(batch / 0.8)) };
}

/** Two epochs of the preset on `device`; the traffic of the one step of epoch 2 (Adam's state exists by then). */
async function run(name: string, batch: number, device: 'cpu' | 'cuda') {
  const ds = await oneBatch(name, batch);
  const cfg = buildRunConfig(ds, name, { train: { epochs: 2 } }, 0);
  const pre = await computePre(ds.graphs, cfg.train.pe, false, ds.name, 1);
  let step: Transfers | null = null, steps = 0;
  setDevice(device);
  try {
    const res = train({
      run: cfg, data: { ds, pre }, outDir: join(home, `${name}-${device}`),
      onEvent: (e) => {
        if (device !== 'cuda') return;
        if (e.type === 'epoch_start' && e.epoch === 2) loadCuda().resetTransfers();
        if (e.type === 'batch' && e.epoch === 2) { steps++; step = loadCuda().transfers(); }
      },
    });
    return { epochs: res.epochs, step: step as Transfers | null, steps, layers: cfg.model.num_layers, attnDropout: cfg.model.attn_dropout };
  } finally { setDevice('cpu'); }
}

/** The cuda run's logged numbers against cpu's: float32 reductions in another order (as test/cuda.test.ts). */
function sameCurve(name: string, c: EpochRecord[], d: EpochRecord[]): void {
  c.forEach((e, i) => {
    assert.ok(Math.abs(d[i].train_loss - e.train_loss) <= 1e-4 * Math.abs(e.train_loss), `${name} epoch ${i + 1}: cuda loss ${d[i].train_loss} vs cpu ${e.train_loss}`);
    assert.ok(Math.abs(d[i].val - e.val) <= 1e-4 * Math.max(1, Math.abs(e.val)), `${name} epoch ${i + 1}: cuda val ${d[i].val} vs cpu ${e.val}`);
    d[i].hop.forEach((h, j) => assert.ok(Math.abs(h - e.hop[j]) <= 1e-4 * Math.max(1, Math.abs(e.hop[j])), `${name} epoch ${i + 1} hop[${j}]: cuda ${h} vs cpu ${e.hop[j]}`));
  });
}

describe('host synchronisation of a cuda training step', () => {
  for (const [name, batch] of [['NCI1', 128], ['ZINC', 32]] as const) {
    gpuIt(`${name} preset: one step reads the device once (the logged loss), uploads 2 + one dropout mask per layer, never syncs; the run follows cpu`, async () => {
      const d = await run(name, batch, 'cuda');
      assert.equal(d.steps, 1, 'the cut dataset is one training batch');
      assert.ok(d.attnDropout > 0, `${name}'s preset draws attention dropout (the masks counted below)`);
      const t = d.step!;
      assert.equal(t.reads, 1, `${name}: device reads in a step (${JSON.stringify(t)})`);
      // A double (l1), or two for cross-entropy (the loss sum and the weight total in one copy).
      assert.ok(t.readBytes <= 16, `${name}: the one read is the loss, ${t.readBytes} bytes`);
      assert.ok(t.uploads <= 2 + d.layers, `${name}: ${t.uploads} uploads in a step, at most 2 + ${d.layers} (${JSON.stringify(t)})`);
      assert.equal(t.syncs, 0, `${name}: explicit syncs in a step`);
      sameCurve(name, (await run(name, batch, 'cpu')).epochs, d.epochs);
    });
  }
});
