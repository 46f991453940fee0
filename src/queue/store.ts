/**
 * What gradformer keeps in Redis beside BullMQ's own keys: per job, the latest
 * stored checkpoint as one hash (file path -> bytes, plus `#epoch`), and the
 * queue's name and key prefix shared by coordinator and workers.
 */
import type { Redis } from 'ioredis';
import type { PackedFiles } from './files.js';

/** The BullMQ queue every gradformer experiment uses; job ids name the experiment. */
export const QUEUE_NAME = 'runs';
/** Key prefix of BullMQ's keys and ours. */
export const PREFIX = 'gradformer';

const ckptKey = (jobId: string) => `${PREFIX}:checkpoint:${jobId}`;

// Replaces the stored checkpoint only with a later epoch, in one step: a worker
// that lost its job (a stalled lock handed it to another) cannot roll it back.
// Every worker computes the same checkpoint for an epoch (bit-for-bit training),
// so whichever writes an epoch first is right.
const SAVE = `
local cur = tonumber(redis.call('HGET', KEYS[1], '#epoch') or '-1')
if tonumber(ARGV[1]) <= cur then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], '#epoch', ARGV[1])
return 1`;

/** Stores a checkpoint for a job unless one of the same or a later epoch is there; returns whether it was stored. */
export async function storeCheckpoint(redis: Redis, jobId: string, epoch: number, files: PackedFiles): Promise<boolean> {
  const args: (string | Buffer)[] = [String(epoch)];
  for (const [k, v] of Object.entries(files)) args.push(k, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  return (await redis.eval(SAVE, 1, ckptKey(jobId), ...args)) === 1;
}

/** The stored checkpoint of a job, or null. */
export async function loadCheckpoint(redis: Redis, jobId: string): Promise<{ epoch: number; files: PackedFiles } | null> {
  const h = await redis.hgetallBuffer(ckptKey(jobId));
  if (!h['#epoch']) return null;
  const files: PackedFiles = {};
  for (const [k, v] of Object.entries(h)) if (k !== '#epoch') files[k] = v;
  return { epoch: Number(h['#epoch'].toString()), files };
}

export async function deleteCheckpoint(redis: Redis, jobId: string): Promise<void> {
  await redis.del(ckptKey(jobId));
}

/** What a finished job returns (stored by BullMQ as JSON): the worker and the run folder, base64 per file. */
export interface JobResult { worker: string; files: Record<string, string> }

/** Progress a worker reports per epoch (BullMQ job progress). */
export interface JobProgressInfo { worker: string; epoch: number; epochs: number; val: number | null; best_epoch: number; best_val: number | null; resumed_from: number | null }
