/**
 * Where does evaluation go? Times the no-grad forward (eval mode) over the first
 * N graphs of the training and the validation split, and training-mode steps
 * (forward + backward, no optimiser) over the same training graphs, with the
 * per-kernel profile of each.
 *   node --import tsx bench/eval_profile.ts --dataset ogbg-molhiv --data-root ../shared/datasets [--n 320]
 */
import { computePre } from '../src/data/preprocess.js';
import { GraphLoader } from '../src/data/loader.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { buildModel, predict, runSplit } from '../src/train/trainer.js';
import { computeLoss } from '../src/train/losses.js';
import { setThreads } from '../src/tensor/backend.js';
import { startKernelProfile } from '../src/tensor/profile.js';
import { benchArgs } from './args.js';

const A = benchArgs('bench/eval_profile', { strings: ['n', 'dataset', 'data-root'] });
const N = A.num('n', 320, true)!;
setThreads(1);
const full = await loadDatasetByName(A.str('dataset', 'ogbg-molhiv')!, A.str('data-root', '../shared/datasets'));
const run = buildRunConfig(full, A.str('dataset', 'ogbg-molhiv')!, {}, 0);
const split = runSplit(run, full);
const trainIdx = split.train.slice(0, N), valIdx = split.val.slice(0, N);
const used = [...trainIdx, ...valIdx];
const preAll = await computePre(used.map((i) => full.graphs[i]), run.train.pe, false, full.name, 1);
const graphs = used.map((i) => full.graphs[i]);
const local = (k: number) => Int32Array.from({ length: k }, (_, i) => i);
const bs = run.train.batch_size;
const trainB = [...new GraphLoader(graphs, preAll, local(trainIdx.length), { batchSize: bs })];
const valB = [...new GraphLoader(graphs, preAll, Int32Array.from({ length: valIdx.length }, (_, i) => trainIdx.length + i), { batchSize: bs })];
const nodes = (bb: typeof trainB) => bb.reduce((s, b) => s + b.graphPtr[b.graphPtr.length - 1], 0);
const model = buildModel(run);

function timeIt(label: string, f: () => void): void {
  f(); // warm-up
  const p = startKernelProfile();
  const t = performance.now();
  f();
  const ms = performance.now() - t;
  p.stop();
  const k = p.profile.total();
  console.log(`${label}: ${ms.toFixed(1)} ms (kernels ${k.toFixed(1)} ms, outside ${(ms - k).toFixed(1)} ms)`);
  console.log(p.profile.rows().slice(0, 8).map((r) => `    ${r.kernel.padEnd(28)} ${String(r.calls).padStart(6)} ${r.ms.toFixed(1).padStart(8)} ms`).join('\n'));
}
console.log(`train ${trainIdx.length} graphs ${nodes(trainB)} nodes; val ${valIdx.length} graphs ${nodes(valB)} nodes; batch ${bs}`);
// Evaluation exactly as the trainer runs it (predict: eval mode, no grad, op outputs recycled per batch).
timeIt('eval forward, train graphs', () => { predict(model, trainB, false); });
timeIt('eval forward, val graphs', () => { predict(model, valB, false); });
model.train();
timeIt('train forward+backward, train graphs', () => {
  for (const b of trainB) {
    const loss = computeLoss(run.train.loss, model.forward(b).out, b, false);
    loss.backward();
  }
});
