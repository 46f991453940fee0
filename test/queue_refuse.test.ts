// A worker refuses what it must not run, with a message the coordinator shows,
// and stays up: a dataset it does not have, a different copy of it, a malformed
// job payload.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { collectExperiment, enqueueExperiment } from '../src/queue/coordinator.js';
import { unpackInto } from '../src/queue/files.js';
import { PREFIX, QUEUE_NAME } from '../src/queue/store.js';
import { checkReachable, parseQueueUrl, redactUrl } from '../src/queue/url.js';
import type { ExperimentOptions } from '../src/train/experiment.js';
import { parseGrid } from '../src/train/grid.js';
import { freePort, killAll, queueScratch, startRedis, startWorkerProc, waitFor } from './queue_helpers.js';
import { mutag, tmp, TINY } from './report_helpers.js';

const root = tmp('queue-refuse');
const { servers, workers } = queueScratch(root);

async function options(outDir: string): Promise<ExperimentOptions> {
  return { preset: 'MUTAG', runs: 1, protocol: 'seeds', seed: 0, data: await mutag(), overrides: { ...TINY, train: { epochs: 1 } }, outDir, dataRoot: null };
}

test('queue URLs: redis:// and rediss:// (TLS), password kept out of the display form, clear errors', () => {
  const t = parseQueueUrl('rediss://:s3cr%40t@cache.example.org:6380/2');
  assert.deepEqual([t.connection.host, t.connection.port, t.connection.db, t.connection.password, Boolean(t.connection.tls)], ['cache.example.org', 6380, 2, 's3cr@t', true]);
  assert.equal(t.display, 'rediss://***@cache.example.org:6380/2');
  assert.equal(parseQueueUrl('redis://localhost').connection.port, 6379);
  assert.equal(parseQueueUrl('redis://localhost').connection.tls, undefined);
  assert.throws(() => parseQueueUrl('http://x'), /--queue: scheme http: is not Redis; expected redis:\/\//);
  assert.throws(() => parseQueueUrl('redis://h/abc'), /--queue: database 'abc' .* is not a number/);
  assert.throws(() => parseQueueUrl('redis//:pw@host'), (e: Error) => !e.message.includes('pw') && e.message.includes('***@host') && /--queue: not a URL/.test(e.message));
  assert.equal(redactUrl('redis://user:pw@h:1'), 'redis://***@h:1');
});

test('an unreachable Redis or a wrong password is one clear error at the start, without the password', async () => {
  const redis = await startRedis({ password: 'right-pw-31' });
  servers.push(redis);
  const port = await freePort();
  await assert.rejects(checkReachable(parseQueueUrl(`redis://:pw-x@127.0.0.1:${port}`)),
    (e: Error) => e.message === `cannot use the Redis at redis://***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}; check that redis-server runs there and the --queue URL (host, port, password, rediss:// for TLS)`);
  await assert.rejects(checkReachable(parseQueueUrl(`redis://:wrong-pw-77@127.0.0.1:${redis.port}`)),
    (e: Error) => /: WRONGPASS invalid username-password pair/.test(e.message) && !e.message.includes('wrong-pw-77'));
  await checkReachable(parseQueueUrl(redis.url));
  // The password from the environment, out of the process list.
  const fromEnv = parseQueueUrl(`redis://127.0.0.1:${redis.port}`, '--queue', { GRADFORMER_REDIS_PASSWORD: 'right-pw-31' });
  assert.equal(fromEnv.display, `redis://127.0.0.1:${redis.port}`);
  await checkReachable(fromEnv);
  assert.equal(parseQueueUrl('redis://:inurl@h', '--queue', { GRADFORMER_REDIS_PASSWORD: 'env' }).connection.password, 'inurl');
  // The worker command stops with that line instead of retrying for ever.
  const w = startWorkerProc(`redis://:wrong-pw-77@127.0.0.1:${redis.port}`, join(root, 'home'));
  workers.push(w);
  await waitFor(() => w.proc.exitCode !== null, 60_000, 'the worker to exit');
  assert.equal(w.proc.exitCode, 1);
  assert.match(w.output(), /^gradformer: error: cannot use the Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/m);
  assert.ok(!w.output().includes('wrong-pw-77'));
});

test('a worker without the dataset, and one with a different copy, refuse the job with a clear error', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 1, pollMs: 200 };

  mkdirSync(join(root, 'empty'));
  workers.push(startWorkerProc(redis.url, join(root, 'home'), ['--data-root', join(root, 'empty')]));
  await enqueueExperiment(await options(join(root, 'missing')), q);
  await assert.rejects(collectExperiment(join(root, 'missing'), q), /1 of 1 runs failed .*refused by worker \S+: this worker cannot load dataset MUTAG: dataset MUTAG: no folder MUTAG\/ in --data-root/);
  await killAll(workers.splice(0));

  // The same files with one graph label flipped.
  cpSync(join(import.meta.dirname, '..', 'data', 'MUTAG'), join(root, 'other', 'MUTAG'), { recursive: true });
  const labels = join(root, 'other', 'MUTAG', 'MUTAG_graph_labels.txt');
  const ls = readFileSync(labels, 'utf8').split('\n');
  ls[0] = ls[0].trim() === '1' ? '-1' : '1';
  writeFileSync(labels, ls.join('\n'));
  workers.push(startWorkerProc(redis.url, join(root, 'home'), ['--data-root', join(root, 'other')]));
  await enqueueExperiment(await options(join(root, 'differs')), q);
  await assert.rejects(collectExperiment(join(root, 'differs'), q),
    /refused by worker \S+: this worker's copy of MUTAG differs from the coordinator's \(content hash [0-9a-f]{12}, job asks [0-9a-f]{12}\); give the worker the same files with --data-root/);
  await killAll(workers.splice(0));
});

test('a run that diverges fails once with its error; the other runs are written and the failure is reported', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const w = startWorkerProc(redis.url, join(root, 'home'));
  workers.push(w);
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 1, pollMs: 200 };
  const out = join(root, 'diverges');
  const st = await enqueueExperiment({ ...(await options(out)), grid: parseGrid(['lr=0.001,1e10']) }, q);
  await assert.rejects(collectExperiment(out, q), /1 of 2 runs failed \(the finished ones are in .*\): \[run 2\/2 lr=10000000000\] failed on worker \S+: training diverged: loss is NaN at epoch 1/);
  assert.ok(existsSync(join(out, 'lr=0.001', 'run-0', 'best', 'model.safetensors')), 'the finished run is written');
  assert.ok(!existsSync(join(out, 'lr=10000000000', 'run-0')), 'the failed run has no folder');
  const queue = new Queue(QUEUE_NAME, { connection: q.target.connection as ConnectionOptions, prefix: PREFIX });
  const job = (await queue.getJob(st.runs[1].job))!;
  assert.equal(job.attemptsMade, 1, 'a failed run is not retried');
  await queue.close();
  await killAll(workers.splice(0));
});

test('malformed job payloads are rejected and the worker goes on with the next job', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const w = startWorkerProc(redis.url, join(root, 'home'));
  workers.push(w);
  const queue = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url).connection as ConnectionOptions, prefix: PREFIX });
  const bad = [
    await queue.add('bad', 'not an object'),
    await queue.add('bad', { format: 'gradformer-job/1', experiment: 'x', index: 0, dataset_hash: 'f'.repeat(64), checkpoint_every: 1, run: { dataset: 'MUTAG', preset: 'MUTAG', seed: -1, fold: 0, model: {}, train: {} } }),
  ];
  // Well-formed on the surface, but a run configuration gradformer would not build.
  const good = await options(join(root, 'after-bad'));
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 1, pollMs: 200 };
  const st = await enqueueExperiment(good, q);
  const forged = (await queue.getJob(st.runs[0].job))!.data;
  bad.push(await queue.add('bad', { ...forged, run: { ...forged.run, model: { ...forged.run.model, channels: 7 } } }));
  const res = await collectExperiment(join(root, 'after-bad'), q);
  assert.equal(res.runs.length, 1, 'the worker survived the bad jobs and ran the good one');
  await waitFor(async () => (await Promise.all(bad.map((j) => j.getState()))).every((s) => s === 'failed'), 30_000, 'the bad jobs to fail');
  const reasons = await Promise.all(bad.map(async (j) => (await queue.getJob(j.id!))!.failedReason));
  assert.match(reasons[0], /malformed job payload: the payload is not an object/);
  assert.match(reasons[1], /malformed job payload: run\.seed and run\.fold must be integers >= 0/);
  assert.match(reasons[2], /refused by worker \S+: the job's run configuration is not valid: channels \(7\) must be larger than pe_dim/);
  await queue.close();
  assert.equal(w.proc.exitCode, null, 'the worker is still running');
});

test('a worker stopped with Ctrl-C hands its run back without using up an attempt; another resumes it', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const a = startWorkerProc(redis.url, join(root, 'home'));
  workers.push(a);
  const lines: string[] = [];
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 2, pollMs: 200, log: (l: string) => lines.push(l) };
  const out = join(root, 'sigint');
  const st = await enqueueExperiment({ ...(await options(out)), overrides: { ...TINY, train: { epochs: 20 } } }, q);
  const done = collectExperiment(out, q);
  const r = new Redis(q.target.connection);
  await waitFor(async () => Number(await r.hget(`gradformer:checkpoint:${st.runs[0].job}`, '#epoch')) >= 4, 120_000, 'a checkpoint after epoch 4');
  r.disconnect();
  const exited = new Promise((res) => a.proc.once('exit', res));
  a.proc.kill('SIGINT');
  await exited;
  assert.match(a.output(), /stopping; a run in progress continues on another worker/);
  const queue = new Queue(QUEUE_NAME, { connection: q.target.connection as ConnectionOptions, prefix: PREFIX });
  const job = (await queue.getJob(st.runs[0].job))!;
  assert.deepEqual([await job.getState(), job.attemptsMade], ['waiting', 0]);
  await queue.close();
  const b = startWorkerProc(redis.url, join(root, 'home'));
  workers.push(b);
  const res = await done;
  assert.equal(res.runs.length, 1);
  assert.match(b.output(), /resuming after epoch ([4-9]|1[0-8])\b/);
  await killAll(workers.splice(0));
});

test('run-folder bytes from Redis are written only inside the run folder', () => {
  const dir = join(root, 'unpack');
  assert.throws(() => unpackInto({ '../escape.txt': new Uint8Array([1]) }, dir), /refusing to write "\.\.\/escape\.txt": not a relative path inside the run folder/);
  assert.throws(() => unpackInto({ '/etc/x': new Uint8Array([1]) }, dir), /refusing to write/);
  assert.throws(() => unpackInto({ 'best/../../x': new Uint8Array([1]) }, dir), /refusing to write/);
  assert.ok(!existsSync(join(root, 'escape.txt')) && !existsSync(dir), 'nothing was written');
  unpackInto({ 'best/state.json': new Uint8Array([123, 125]) }, dir);
  assert.equal(readFileSync(join(dir, 'best', 'state.json'), 'utf8'), '{}');
});
