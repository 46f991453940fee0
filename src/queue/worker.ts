/**
 * `gradformer worker`: takes run jobs from the queue (BullMQ) and trains them,
 * each in a worker thread (src/queue/run_thread.ts) so this thread keeps the
 * job's lock alive. A job resumes from its stored checkpoint when an earlier
 * worker died on it (BullMQ's stalled-job detection handed it back); the run's
 * progress, a checkpoint every few epochs and the finished run folder go back
 * through Redis. A refused or failed job fails at once (UnrecoverableError); a
 * crash is retried a bounded number of times.
 */
import { UnrecoverableError, WaitingError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { availableParallelism, hostname } from 'node:os';
import { Worker as Thread } from 'node:worker_threads';
import { threadSetting, type ThreadSetting } from '../tensor/backend.js';
import { checkJobData } from './payload.js';
import type { ThreadInput, ThreadMessage } from './run_thread.js';
import { loadCheckpoint, PREFIX, QUEUE_NAME, storeCheckpoint, type JobProgressInfo, type JobResult } from './store.js';
import { checkReachable, type QueueTarget } from './url.js';

export interface WorkerOptions {
  target: QueueTarget;
  /** The worker's own dataset folder root (null: the default search). */
  dataRoot: string | null;
  /** Jobs run at once. */
  concurrency: number;
  /**
   * Lock duration in ms: a worker silent this long is taken for dead and its job
   * goes to another worker (BullMQ's lockDuration; the stalled check runs at half of it).
   */
  lockMs: number;
  /** Name in progress reports (default host:pid). */
  name?: string;
  /** One line per job event (taken, resumed, finished, refused). */
  log?: (line: string) => void;
}

/** How many times a job may be handed back after its worker died, before it fails. */
export const MAX_STALLS = 5;

/** The thread module next to this one: .ts under tsx (src/), .js when compiled (dist/src/). */
function startThread(input: ThreadInput): Thread {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./run_thread${ext}`, import.meta.url);
  // Under tsx the thread does not inherit its loader: register it first (as src/data/preprocess.ts does).
  return ext === '.ts'
    ? new Thread(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: input })
    : new Thread(url, { workerData: input });
}

/** Starts a worker; resolves once it listens. `close()` stops it: its running jobs go back to the queue, to resume elsewhere from their stored checkpoints. */
export async function startWorker(o: WorkerOptions): Promise<{ close: () => Promise<void>; worker: Worker }> {
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const log = o.log ?? (() => {});
  await checkReachable(o.target);
  const redis = new Redis(o.target.connection);
  redis.on('error', () => {}); // reported once through the BullMQ worker's own 'error' below; ioredis reconnects
  const threads = new Set<Thread>();
  let stopping = false;

  const process_ = async (job: Job, token?: string): Promise<JobResult> => {
    const checked = checkJobData(job.data);
    if (!checked.ok) {
      log(`job ${job.id}: rejected, malformed payload (${checked.error})`);
      throw new UnrecoverableError(`malformed job payload: ${checked.error}`);
    }
    const d = checked.data;
    const stored = await loadCheckpoint(redis, job.id!);
    log(`job ${job.id}: ${d.run.dataset} seed ${d.run.seed} fold ${d.run.fold}${stored ? `, resuming after epoch ${stored.epoch}` : ''}`);
    const thread = startThread({
      run: d.run, datasetHash: d.dataset_hash, dataRoot: o.dataRoot, checkpoint: stored?.files ?? null,
      every: d.checkpoint_every, threads: runThreads(o.concurrency),
    });
    threads.add(thread);
    let resumedFrom: number | null = null;
    const pending: Promise<unknown>[] = [];
    try {
      return await new Promise<JobResult>((resolve_, reject_) => {
        // Once settled, the thread's exit (terminated in `finally`) must not touch the job again.
        let settled = false;
        const resolve = (r: JobResult) => { settled = true; resolve_(r); };
        const reject = (e: unknown) => { settled = true; reject_(e); };
        thread.on('message', (m: ThreadMessage) => {
          if (m.type === 'start') resumedFrom = m.resumedFrom;
          else if (m.type === 'epoch') {
            const p: JobProgressInfo = {
              worker: name, epoch: m.record.epoch, epochs: m.epochs, val: Number.isFinite(m.record.val) ? m.record.val : null,
              best_epoch: m.best.epoch, best_val: Number.isFinite(m.best.val) ? m.best.val : null, resumed_from: resumedFrom,
            };
            pending.push(job.updateProgress(p as unknown as object));
          } else if (m.type === 'checkpoint') pending.push(storeCheckpoint(redis, job.id!, m.epoch, m.files));
          else if (m.type === 'done') {
            const files: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.files)) files[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
            settled = true; // the thread ends by itself now; its exit is no failure
            Promise.all(pending).then(() => resolve({ worker: name, files }), reject);
          } else if (m.type === 'error') {
            log(`job ${job.id}: ${m.kind} (${m.message})`);
            reject(m.kind === 'crashed' ? new Error(m.message) : new UnrecoverableError(`${m.kind === 'refused' ? `refused by worker ${name}` : `failed on worker ${name}`}: ${m.message}`));
          }
        });
        thread.on('error', (e) => reject(e));
        thread.on('exit', (code) => {
          if (settled) return;
          // Stopped by close(): the job goes back to the queue as it is, without using up an attempt.
          if (stopping) job.moveToWait(token).then(() => reject(new WaitingError()), reject);
          else reject(new Error(`the training thread exited (code ${code}) before the run finished`));
        });
      });
    } finally {
      threads.delete(thread);
      await thread.terminate();
    }
  };

  const worker = new Worker(QUEUE_NAME, process_, {
    connection: o.target.connection as ConnectionOptions, prefix: PREFIX, concurrency: o.concurrency, name,
    // Finished and failed jobs stay (BullMQ's default) until the coordinator has collected them.
    lockDuration: o.lockMs, stalledInterval: Math.max(500, Math.floor(o.lockMs / 2)), maxStalledCount: MAX_STALLS,
  });
  worker.on('completed', (job) => log(`job ${job.id}: finished`));
  // Connection errors repeat while Redis is away; ioredis reconnects by itself.
  let lastError = '';
  worker.on('error', (e) => { if (e.message !== lastError) { lastError = e.message; log(`queue: ${e.message}`); } });
  await worker.waitUntilReady();
  return {
    worker,
    close: async () => {
      stopping = true;
      await Promise.all([...threads].map((t) => t.terminate()));
      await worker.close();
      redis.disconnect();
    },
  };
}

/**
 * The thread setting of each run: the worker's own, except that under 'auto' several runs at
 * once share the cores as fixed counts (the kernels' thread count is one per process, so
 * concurrent tuners would time each other's choices).
 */
function runThreads(concurrency: number): ThreadSetting {
  const t = threadSetting();
  return t === 'auto' && concurrency > 1 ? Math.max(1, Math.floor(availableParallelism() / concurrency)) : t;
}
