/**
 * What a queue job carries (the whole run configuration: a worker needs no
 * shared filesystem), and the check a worker applies before any work: a
 * malformed payload is rejected with a message instead of crashing the worker.
 */
import type { RunConfig } from '../train/runconfig.js';

export const JOB_FORMAT = 'gradformer-job/1';

export interface JobData {
  format: typeof JOB_FORMAT;
  /** The experiment's id (job ids are `<experiment>-<index>`). */
  experiment: string;
  /** The run's index over the experiment. */
  index: number;
  /** The run's configuration as the coordinator built it (data_root null: the worker uses its own). */
  run: RunConfig;
  /** datasetContentHash of the coordinator's copy of run.dataset. */
  dataset_hash: string;
  /** Store the last/ checkpoint in Redis every this many epochs. */
  checkpoint_every: number;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown, min: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;

/** The payload as JobData, or an error message saying what is wrong with it. */
export function checkJobData(d: unknown): { ok: true; data: JobData } | { ok: false; error: string } {
  if (!isObj(d)) return { ok: false, error: 'the payload is not an object' };
  if (d.format !== JOB_FORMAT) return { ok: false, error: `format ${JSON.stringify(d.format)}, expected ${JOB_FORMAT} (a coordinator of another gradformer version?)` };
  if (typeof d.experiment !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(d.experiment)) return { ok: false, error: 'experiment must be an id of letters, digits and _' };
  if (!isInt(d.index, 0)) return { ok: false, error: 'index must be an integer >= 0' };
  if (typeof d.dataset_hash !== 'string' || !/^[0-9a-f]{64}$/.test(d.dataset_hash)) return { ok: false, error: 'dataset_hash must be a sha256 in hex' };
  if (!isInt(d.checkpoint_every, 1)) return { ok: false, error: 'checkpoint_every must be an integer >= 1' };
  const r = d.run;
  if (!isObj(r)) return { ok: false, error: 'run is not an object' };
  if (typeof r.dataset !== 'string' || typeof r.preset !== 'string') return { ok: false, error: 'run.dataset and run.preset must be names' };
  if (!isInt(r.seed, 0) || !isInt(r.fold, 0)) return { ok: false, error: 'run.seed and run.fold must be integers >= 0' };
  if (!isObj(r.model) || !isObj(r.train)) return { ok: false, error: 'run.model and run.train must be objects' };
  return { ok: true, data: d as unknown as JobData };
}
