/**
 * Where the resident memory of a training run goes: process.memoryUsage() (RSS, V8
 * heap used/total, external, ArrayBuffers) after loading, after preprocessing, at
 * every epoch start and after the last epoch, with a forced full GC before each
 * reading (run with --expose-gc) so "used" means retained, not garbage.
 *
 *   node --expose-gc --import tsx bench/mem_profile.ts --dataset ZINC [--data-root DIR] [--limit N] [--eval-limit N] [--epochs 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computePre } from '../src/data/preprocess.js';
import type { GraphDataset } from '../src/data/dataset.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { train } from '../src/train/trainer.js';
import { scratch } from '../src/tensor/tensor.js';
import { setThreads } from '../src/tensor/backend.js';
import { benchArgs } from './args.js';

const A = benchArgs('bench/mem_profile', { strings: ['dataset', 'data-root', 'limit', 'eval-limit', 'epochs'] });
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => (b / 1048576).toFixed(1).padStart(7);
function report(label: string): void {
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`${label.padEnd(26)} rss ${mb(m.rss)}  heapUsed ${mb(m.heapUsed)}  heapTotal ${mb(m.heapTotal)}  external ${mb(m.external)}` +
    `  arrayBuffers ${mb(m.arrayBuffers)}  pool ${mb(scratch.pooledBytes)}  maxRSS ${mb(process.resourceUsage().maxRSS * 1024)} MB\n`);
}

setThreads(1);
report('start');
let ds: GraphDataset = await loadDatasetByName(A.str('dataset', 'ZINC')!, A.str('data-root'));
const limit = A.str('limit'), evalLimit = A.str('eval-limit');
if (limit && ds.officialSplit) {
  const sp = ds.officialSplit, ev = (x: Int32Array) => (evalLimit ? x.slice(0, Number(evalLimit)) : x);
  ds = { ...ds, officialSplit: { train: sp.train.slice(0, Number(limit)), val: ev(sp.val), test: ev(sp.test) } };
} else if (limit) ds = { ...ds, graphs: ds.graphs.slice(0, Number(limit)) };
report(`loaded ${ds.graphs.length} graphs`);
const run = buildRunConfig(ds, A.str('dataset', 'ZINC')!, { train: { epochs: Number(A.str('epochs', '2')) } }, 0);
const pre = await computePre(ds.graphs, run.train.pe, false, ds.name, 1);
report('preprocessed');
const outDir = mkdtempSync(join(tmpdir(), 'gf-mem-'));
try {
  train({ run, data: { ds, pre }, outDir, onEvent: (e) => { if (e.type === 'epoch_start') report(`epoch ${e.epoch} start`); } });
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
report('trained');
