// How often a training step on cuda waits for the device or copies to it, counted by
// the CUDA runtime (native/cuda/runtime.cu, Cuda.transfers()), on the official NCI1
// and ZINC presets (and of an evaluation: one read per split); and that the numbers of
// those runs still follow cpu.
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
//     one copy) and 1 for the loss value into its tensor: 2. The attention-dropout masks
//     are drawn on the device from the generator's state words, which stay there between
//     steps (Rng.lend): uploaded again only after the host took them back (each epoch's
//     checkpoint), so the first step of an epoch has a third upload; a steady step is
//     counted here (the second of the epoch: Adam's state is made in the first).
//   syncs: none. Clip-grad-norm (on in the ZINC case) adds nothing: its total norm stays
//     on the device (sumSquaresAdd, clipScale).
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
import { buildModel, predict, train, type EpochRecord } from '../src/train/trainer.js';
import { GraphLoader } from '../src/data/loader.js';

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

/** The dataset cut to two training batches of its preset (and a few graphs to evaluate). */
async function twoBatches(name: string, batch: number): Promise<GraphDataset> {
  const ds = await loadDatasetByName(name);
  if (ds.officialSplit) {
    const s = ds.officialSplit;
    return { ...ds, officialSplit: { train: s.train.slice(0, 2 * batch), val: s.val.slice(0, 16), test: s.test.slice(0, 16) } };
  }
  // 80/10/10 of the first graphs: the training split is then exactly two batches.
  return { ...ds, graphs: ds.graphs.slice(0, Math.round(2 * batch / 0.8)) };
}

/** One epoch of the preset on `device` (clip-grad-norm on when `clip`); the traffic of its second step. */
async function run(name: string, batch: number, device: 'cpu' | 'cuda', clip: boolean) {
  const ds = await twoBatches(name, batch);
  const cfg = buildRunConfig(ds, name, { train: { epochs: 1, ...(clip ? { clip_grad_norm: 0.5, clip_effective: true } : {}) } }, 0);
  const pre = await computePre(ds.graphs, cfg.train.pe, false, ds.name, 1);
  let step: Transfers | null = null, steps = 0;
  setDevice(device);
  try {
    const res = train({
      run: cfg, data: { ds, pre }, outDir: join(home, `${name}-${device}`),
      onEvent: (e) => {
        if (device !== 'cuda' || e.type !== 'batch') return;
        steps++;
        if (e.step === 1) loadCuda().resetTransfers();
        if (e.step === 2) step = loadCuda().transfers();
      },
    });
    return { epochs: res.epochs, step: step as Transfers | null, steps, attnDropout: cfg.model.attn_dropout };
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

describe('host synchronisation on cuda: a training step, an evaluation', () => {
  // ZINC also clips its gradients (clip-grad-norm is on the device: no read per parameter).
  for (const [name, batch, clip] of [['NCI1', 128, false], ['ZINC', 32, true]] as const) {
    gpuIt(`${name} preset${clip ? ' with clip-grad-norm' : ''}: a step reads the device once (the logged loss), uploads twice, never syncs; the run follows cpu`, async () => {
      const d = await run(name, batch, 'cuda', clip);
      assert.equal(d.steps, 2, 'the cut dataset is two training batches');
      assert.ok(d.attnDropout > 0, `${name}'s preset draws attention dropout (masks drawn on the device, no upload)`);
      const t = d.step!;
      assert.equal(t.reads, 1, `${name}: device reads in a step (${JSON.stringify(t)})`);
      // A double (l1), or two for cross-entropy (the loss sum and the weight total in one copy).
      assert.ok(t.readBytes <= 16, `${name}: the one read is the loss, ${t.readBytes} bytes`);
      assert.ok(t.uploads <= 2, `${name}: ${t.uploads} uploads in a step, at most 2 (${JSON.stringify(t)})`);
      assert.equal(t.syncs, 0, `${name}: explicit syncs in a step`);
      sameCurve(name, (await run(name, batch, 'cpu', clip)).epochs, d.epochs);
    });
  }

  // Evaluation copies each batch's output into a buffer of its own on the device and reads
  // them all at the end in one transfer (Device.readAll): one read per split, not per batch.
  gpuIt('evaluation over 3 batches reads the device once, uploads once per batch, and predicts what cpu predicts', async () => {
    const ds = await twoBatches('NCI1', 128);
    const cfg = buildRunConfig(ds, 'NCI1', {}, 0);
    const pre = await computePre(ds.graphs, cfg.train.pe, false, ds.name, 1);
    const idx = Int32Array.from({ length: 200 }, (_, i) => i);
    const batches = [...new GraphLoader(ds.graphs, pre, idx, { batchSize: 70 })];
    const outputs = (device: 'cpu' | 'cuda') => {
      setDevice(device);
      try {
        const model = buildModel(cfg);
        // A first forward reads each GIN layer's eps once (a new model's buffers): not counted.
        predict(model, batches.slice(0, 1), false);
        if (device === 'cuda') loadCuda().resetTransfers();
        const r = predict(model, batches, false);
        return { out: r.out, t: device === 'cuda' ? loadCuda().transfers() : null };
      } finally { setDevice('cpu'); }
    };
    const d = outputs('cuda'), c = outputs('cpu');
    assert.equal(batches.length, 3);
    assert.equal(d.t!.reads, 1, `reads in an evaluation of 3 batches (${JSON.stringify(d.t)})`);
    assert.ok(d.t!.uploads <= 3, `uploads: one staged batch each (${JSON.stringify(d.t)})`);
    assert.equal(d.out.length, c.out.length);
    let mx = 0;
    for (const v of c.out) mx = Math.max(mx, Math.abs(v));
    c.out.forEach((v, i) => assert.ok(Math.abs(d.out[i] - v) <= 1e-4 * mx + 1e-6, `output ${i}: cuda ${d.out[i]} vs cpu ${v}`));
  });

  // A staged batch's block is handed back when the next batch is staged, not left to the
  // garbage collector: Node runs Node-API finalizers only when the event loop turns, which
  // the synchronous trainer never lets happen, so device memory grew by every batch's
  // arrays (docs/CUDA.md, Lifetimes).
  gpuIt('a staged batch is freed when the next one is staged: new batches do not pile up on the device', async () => {
    const ds = await twoBatches('NCI1', 128);
    const cfg = buildRunConfig(ds, 'NCI1', {}, 0);
    const pre = await computePre(ds.graphs, cfg.train.pe, false, ds.name, 1);
    const idx = Int32Array.from({ length: 120 }, (_, i) => i);
    // Fresh host arrays each time, as a new epoch's batches are: each is a new upload.
    const batches = () => [...new GraphLoader(ds.graphs, pre, idx, { batchSize: 40 })];
    setDevice('cuda');
    try {
      const model = buildModel(cfg);
      predict(model, batches(), false);
      const before = loadCuda().bytesInUse();
      let staged = 0;
      for (let r = 0; r < 3; r++) {
        const bs = batches();
        staged += bs.reduce((n, b) => n + 4 * (b.pe.length + b.spd.length + b.edgeIndex.length), 0);
        predict(model, bs, false);
      }
      const grew = loadCuda().bytesInUse() - before;
      // Left to the GC, all 9 blocks would stay (at least `staged` bytes); handed back, one does.
      assert.ok(grew < staged / 3, `device bytes grew by ${grew} over 9 new batches whose arrays take ${staged} bytes`);
    } finally { setDevice('cpu'); }
  });
});
