/**
 * `gradformer experiment --queue`: the coordinator. It plans the experiment as
 * a local one would (src/train/experiment.ts), enqueues one BullMQ job per run
 * that is not already finished on disk, records what it enqueued in
 * `<out>/queue.json` (no password: the URL is stored redacted), then collects:
 * it polls the jobs, prints each run's progress (worker, epoch, best so far),
 * writes every finished run's folder from the job's result as soon as it
 * completes (then drops the job and its checkpoint from Redis), and finally
 * writes results.md / results.csv exactly as a local experiment. Stopping the
 * coordinator loses nothing: `--collect <out>` picks up where it stopped.
 */
import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { datasetContentHash } from '../data/content_hash.js';
import { UsageError } from '../train/data.js';
import {
  finishedResult, finishExperiment, planExperiment, readRunFolder, type ExperimentOptions, type ExperimentResult, type RunPlan, type RunResult,
} from '../train/experiment.js';
import { pointFolder, type GridAxis, type GridPoint } from '../train/grid.js';
import type { RunConfig } from '../train/runconfig.js';
import { writeFileAtomic } from '../util/atomic.js';
import { writeFolderAtomic, type PackedFiles } from './files.js';
import { JOB_FORMAT, type JobData } from './payload.js';
import { deleteCheckpoint, PREFIX, QUEUE_NAME, type JobProgressInfo, type JobResult } from './store.js';
import { checkReachable, type QueueTarget } from './url.js';

const STATE_FORMAT = 'gradformer-queue/1';

/** `<out>/queue.json`: what was enqueued, enough to collect it later without the original options. */
export interface QueueState {
  format: typeof STATE_FORMAT;
  experiment: string;
  /** The queue URL, redacted. */
  queue: string;
  protocol: ExperimentOptions['protocol'];
  grid: GridAxis[];
  /** What every job names (see JobData), kept so that a job missing from Redis can be enqueued again. */
  dataset_hash: string;
  checkpoint_every: number;
  runs: { index: number; job: string; dir: string; point: GridPoint; i: number; seed: number; fold: number; run: RunConfig }[];
}

export interface QueueOptions {
  target: QueueTarget;
  /** Store the checkpoint in Redis every this many epochs. */
  checkpointEvery: number;
  /** Milliseconds between polls of the jobs. */
  pollMs?: number;
  /** Progress lines (stderr in the CLI); none when absent. */
  log?: (line: string) => void;
}

const statePath = (outDir: string) => join(outDir, 'queue.json');
const jobId = (experiment: string, index: number) => `${experiment}-${index}`;

/**
 * Plans the experiment and enqueues the runs not finished on disk; writes queue.json.
 * An interrupted local run folder cannot move to the queue: that is an error.
 */
export async function enqueueExperiment(o: ExperimentOptions, q: QueueOptions): Promise<QueueState> {
  if (existsSync(statePath(o.outDir))) {
    throw new UsageError(`${o.outDir} already holds a queued experiment (queue.json); gather it with: gradformer experiment --queue ${q.target.display} --collect ${o.outDir}`);
  }
  const plans = planExperiment({ ...o, dataRoot: null });
  await checkReachable(q.target);
  const interrupted = plans.find((p) => p.folder.kind === 'interrupted');
  if (interrupted) throw new UsageError(`${interrupted.dir} holds an interrupted local run; finish it locally (gradformer experiment --resume, without --queue) or delete the folder`);
  const experiment = randomBytes(6).toString('hex');
  const state: QueueState = {
    format: STATE_FORMAT, experiment, queue: q.target.display, protocol: o.protocol, grid: o.grid ?? [],
    dataset_hash: datasetContentHash(o.data.ds), checkpoint_every: q.checkpointEvery,
    runs: plans.map((p) => ({ index: p.index, job: jobId(experiment, p.index), dir: p.dir.slice(o.outDir.length).replace(/^[\\/]/, ''), point: p.point, i: p.i, seed: p.seed, fold: p.fold, run: p.run })),
  };
  // queue.json first: a coordinator stopped right after enqueueing can always be collected.
  writeFileAtomic(statePath(o.outDir), JSON.stringify(state, null, 1) + '\n');
  const queue = new Queue(QUEUE_NAME, { connection: q.target.connection as ConnectionOptions, prefix: PREFIX });
  queue.on('error', (e) => q.log?.(`queue: ${e.message} (retrying)`));
  try {
    await addJobs(queue, state, state.runs.filter((r) => plans[r.index].folder.kind === 'empty'));
  } finally {
    await queue.close();
  }
  return state;
}

/** Adds the jobs of some runs (a job id already in the queue is left as it is). */
async function addJobs(queue: Queue, state: QueueState, runs: QueueState['runs']): Promise<void> {
  await queue.addBulk(runs.map((r) => {
    const data: JobData = { format: JOB_FORMAT, experiment: state.experiment, index: r.index, run: r.run, dataset_hash: state.dataset_hash, checkpoint_every: state.checkpoint_every };
    // attempts: a crashed run (not a failed one: those are unrecoverable) is tried at most 3 times.
    return { name: `run-${r.index}`, data, opts: { jobId: r.job, attempts: 3, backoff: { type: 'fixed', delay: 1000 } } };
  }));
}

/** Reads `<out>/queue.json`. */
export function readQueueState(outDir: string): QueueState {
  const p = statePath(outDir);
  if (!existsSync(p)) throw new UsageError(`--collect ${outDir}: no queue.json there; pass the --out folder of an experiment started with --queue`);
  const s = JSON.parse(readFileSync(p, 'utf8')) as QueueState;
  if (s.format !== STATE_FORMAT) throw new UsageError(`${p}: format ${JSON.stringify(s.format)}, expected ${STATE_FORMAT}`);
  return s;
}

const num = (x: number | null) => (x === null ? 'NaN' : x.toFixed(4));

/**
 * Waits for every run of a queued experiment, writing run folders as they
 * finish, then the results table. Runs that failed are reported together in
 * one error after the others have finished (their folders are not written).
 */
export async function collectExperiment(outDir: string, q: QueueOptions): Promise<ExperimentResult> {
  const state = readQueueState(outDir);
  await checkReachable(q.target);
  const log = q.log ?? (() => {});
  const total = state.runs.length;
  const label = (r: QueueState['runs'][number]) => `[run ${r.index + 1}/${total}${state.grid.length ? ` ${pointFolder(r.point)}` : ''}]`;
  const queue = new Queue(QUEUE_NAME, { connection: q.target.connection as ConnectionOptions, prefix: PREFIX });
  const redis = new Redis(q.target.connection);
  // While Redis is away (restarting) both retry by themselves; say so once instead of crashing on the event.
  let lastError = '';
  const onError = (e: Error) => { if (e.message !== lastError) { lastError = e.message; log(`queue: ${e.message} (retrying)`); } };
  queue.on('error', onError);
  redis.on('error', onError);
  const results = new Map<number, RunResult>();
  const failures: string[] = [];
  const shown = new Map<number, string>();
  try {
    const pending = new Set(state.runs.map((r) => r.index));
    while (pending.size > 0) {
      for (const r of state.runs.filter((x) => pending.has(x.index))) {
        const dir = join(outDir, r.dir);
        const plan: RunPlan = { ...r, dir, folder: readRunFolder(dir) };
        // The state first, then the job: a job read before it completed would carry no result yet.
        const st = await queue.getJobState(r.job);
        const job = (await queue.getJob(r.job)) as Job<JobData, JobResult> | undefined;
        if (plan.folder.kind === 'finished') {
          // Written earlier (a reused run, or a coordinator stopped between writing and clean-up): drop what Redis still holds.
          if (job && st === 'completed') { await job.remove(); await deleteCheckpoint(redis, r.job); }
          results.set(r.index, finishedResult(plan));
          pending.delete(r.index);
          continue;
        }
        if (!job) {
          // Lost with a Redis that kept no data (no append-only file), or never added (the coordinator stopped while enqueueing).
          log(`${label(r)} job ${r.job} is not in Redis and ${dir} holds no finished run: enqueued again`);
          await addJobs(queue, state, [r]);
          continue;
        }
        if (st === 'completed') {
          rmSync(dir, { recursive: true, force: true }); // an incomplete leftover, never a finished run (checked above)
          const files: PackedFiles = {};
          for (const [k, v] of Object.entries(job.returnvalue.files)) files[k] = Buffer.from(v, 'base64');
          writeFolderAtomic(files, dir);
          const done = readRunFolder(dir);
          if (done.kind !== 'finished') throw new Error(`${label(r)} the result of job ${r.job} is not a finished run folder`);
          const res = finishedResult({ ...plan, folder: done });
          results.set(r.index, res);
          pending.delete(r.index);
          log(`${label(r)} finished on ${job.returnvalue.worker}: best epoch ${res.best_epoch}, val ${res.val.toFixed(4)}, test ${res.test.toFixed(4)}`);
          await job.remove();
          await deleteCheckpoint(redis, r.job);
        } else if (st === 'failed') {
          failures.push(`${label(r)} ${job.failedReason}`);
          log(`${label(r)} failed: ${job.failedReason}`);
          pending.delete(r.index);
        } else {
          const p = job.progress as unknown as JobProgressInfo | number;
          const line = typeof p === 'object' && p !== null && 'epoch' in p
            ? `${label(r)} ${p.worker}: epoch ${p.epoch}/${p.epochs}, val ${num(p.val)}, best ${num(p.best_val)} (epoch ${p.best_epoch})${p.resumed_from !== null ? `, resumed after epoch ${p.resumed_from}` : ''}`
            : `${label(r)} ${st}`;
          if (shown.get(r.index) !== line) { shown.set(r.index, line); log(line); }
        }
      }
      if (pending.size > 0) await new Promise((res) => setTimeout(res, q.pollMs ?? 1000));
    }
  } finally {
    await queue.close();
    redis.disconnect();
  }
  if (failures.length > 0) {
    throw new UsageError(`${failures.length} of ${total} runs failed (the finished ones are in ${outDir}): ${failures.join('; ')}`);
  }
  const plans = state.runs.map((r): RunPlan => ({ ...r, dir: join(outDir, r.dir), folder: { kind: 'empty' } }));
  return finishExperiment({ outDir, protocol: state.protocol, grid: state.grid }, plans, state.runs.map((r) => results.get(r.index)!));
}
