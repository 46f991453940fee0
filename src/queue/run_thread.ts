/**
 * One queue job's training, in a worker thread: the training loop is
 * synchronous, and the worker's main thread must stay free to renew the job's
 * lock in Redis (a blocked event loop would look like a dead worker).
 *
 * The thread loads the dataset from the worker's own data root and refuses the
 * job when it is missing or differs from the coordinator's copy (content hash),
 * or when the run configuration is not one the coordinator could have built;
 * it resumes from the checkpoint it is handed (bit for bit, as `train --resume`)
 * and posts epoch records, a checkpoint every `every` epochs, and the finished
 * run folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { datasetContentHash } from '../data/content_hash.js';
import { preprocessDataset } from '../data/preprocess.js';
import { setThreads, type ThreadSetting } from '../tensor/backend.js';
import { readCheckpointState } from '../train/checkpoint.js';
import { loadDatasetByName } from '../train/data.js';
import { firstDifference } from '../train/experiment.js';
import { buildRunConfig, type RunConfig } from '../train/runconfig.js';
import { DivergedError, train, type EpochRecord } from '../train/trainer.js';
import { packDir, unpackInto, type PackedFiles } from './files.js';

export interface ThreadInput {
  run: RunConfig;
  datasetHash: string;
  dataRoot: string | null;
  /** A stored checkpoint to continue from (run-folder files: log.jsonl, last/, best/), or null. */
  checkpoint: PackedFiles | null;
  every: number;
  threads: ThreadSetting;
}

/**
 * `refused`: the job cannot run here (payload, dataset); `failed`: the run itself
 * failed (diverged, bad data), retrying would fail again; `crashed`: anything else.
 */
export type ErrorKind = 'refused' | 'failed' | 'crashed';

export type ThreadMessage =
  | { type: 'start'; resumedFrom: number | null }
  | { type: 'epoch'; record: EpochRecord; epochs: number; best: { epoch: number; val: number } }
  | { type: 'checkpoint'; epoch: number; files: PackedFiles }
  | { type: 'done'; files: PackedFiles }
  | { type: 'error'; kind: ErrorKind; message: string };

class Refusal extends Error {}

/** The files a checkpoint needs to resume elsewhere (the log up to it, last/, best/). */
const CHECKPOINT_FILES = (rel: string) => rel === 'log.jsonl' || rel.startsWith('last/') || rel.startsWith('best/');

async function runJob(input: ThreadInput, post: (m: ThreadMessage) => void): Promise<void> {
  setThreads(input.threads);
  const { run } = input;
  let ds;
  try {
    ds = await loadDatasetByName(run.dataset, input.dataRoot ?? undefined);
  } catch (e) {
    throw new Refusal(`this worker cannot load dataset ${run.dataset}: ${(e as Error).message}`);
  }
  const hash = datasetContentHash(ds);
  if (hash !== input.datasetHash) {
    throw new Refusal(`this worker's copy of ${run.dataset} differs from the coordinator's (content hash ${hash.slice(0, 12)}, job asks ${input.datasetHash.slice(0, 12)}); ` +
      'give the worker the same files with --data-root');
  }
  let rebuilt: RunConfig;
  try {
    rebuilt = buildRunConfig(ds, run.preset, { model: run.model, train: run.train }, run.seed, run.fold, null);
  } catch (e) {
    throw new Refusal(`the job's run configuration is not valid: ${(e as Error).message}`);
  }
  const d = firstDifference(run, rebuilt);
  if (d !== null) throw new Refusal(`the job's run configuration is not one gradformer builds (${d})`);

  const dir = mkdtempSync(join(tmpdir(), 'gradformer-job-'));
  try {
    if (input.checkpoint) unpackInto(input.checkpoint, dir);
    const resume = input.checkpoint !== null;
    const pre = await preprocessDataset(ds, { pe: run.train.pe, progress: false });
    // Where a resumed run stands: its epoch and best epoch so far, for the progress lines.
    const st = resume ? readCheckpointState(join(dir, 'last')) : null;
    post({ type: 'start', resumedFrom: st ? st.epoch : null });
    let best = st?.best ? { epoch: st.best.epoch, val: st.best.val } : { epoch: 0, val: NaN };
    train({
      run: rebuilt, data: { ds, pre }, outDir: dir, resume,
      onEvent: (e) => {
        if (e.type !== 'epoch_end') return;
        const r = e.record;
        if (e.improved || best.epoch === 0) best = { epoch: r.epoch, val: r.val };
        post({ type: 'epoch', record: r, epochs: rebuilt.train.epochs, best });
        if (r.epoch % input.every === 0 && r.epoch < rebuilt.train.epochs) post({ type: 'checkpoint', epoch: r.epoch, files: packDir(dir, CHECKPOINT_FILES) });
      },
    });
    post({ type: 'done', files: packDir(dir) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (parentPort) {
  const port = parentPort;
  const post = (m: ThreadMessage) => port.postMessage(m);
  runJob(workerData as ThreadInput, post).catch((e: Error) => {
    const kind: ErrorKind = e instanceof Refusal ? 'refused'
      : e instanceof DivergedError || e.name === 'DataError' || e.name === 'UsageError' ? 'failed' : 'crashed';
    post({ type: 'error', kind, message: e.message });
  });
}
