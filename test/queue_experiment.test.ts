// Experiments on a real Redis (BullMQ) with `gradformer worker` processes: the
// same results as a local experiment to the bit, a worker killed with -9 mid-run
// resumed elsewhere to the same weights, a Redis restart survived, and the
// password in no written file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { collectExperiment, enqueueExperiment } from '../src/queue/coordinator.js';
import { parseQueueUrl } from '../src/queue/url.js';
import { runExperiment, type ExperimentOptions } from '../src/train/experiment.js';
import { parseGrid } from '../src/train/grid.js';
import { filesUnder, killAll, metricsCsv, queueScratch, startRedis, startWorkerProc, stopRedis, waitFor } from './queue_helpers.js';
import { mutag, tmp, TINY } from './report_helpers.js';

const root = tmp('queue');
const PASSWORD = 'pw-Zq81x7Hh';
const { servers, workers } = queueScratch(root);

async function options(outDir: string, runs: number, epochs: number, grid: string[] = []): Promise<ExperimentOptions> {
  return { preset: 'MUTAG', runs, protocol: 'seeds', seed: 2, data: await mutag(), overrides: { ...TINY, train: { epochs } }, outDir, dataRoot: null, grid: parseGrid(grid) };
}

/** log.jsonl without its timing fields. */
const metricsLog = (dir: string) => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { epoch_seconds: _a, eval_seconds: _b, graphs_per_second: _c, peak_rss_mb: _d, threads: _e, ...rest } = JSON.parse(l);
  return rest;
});

test('a grid experiment over two workers equals the local one to the bit; the password is in no written file', async () => {
  const redis = await startRedis({ password: PASSWORD });
  servers.push(redis);
  const local = runExperiment(await options(join(root, 'local'), 2, 3, ['gamma=0.5,0.8']));
  workers.push(startWorkerProc(redis.url, join(root, 'home')), startWorkerProc(redis.url, join(root, 'home')));
  const lines: string[] = [];
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 1, pollMs: 200, log: (l: string) => lines.push(l) };
  const out = join(root, 'queued');
  const o = await options(out, 2, 3, ['gamma=0.5,0.8']);
  await enqueueExperiment(o, q);
  const res = await collectExperiment(out, q);
  assert.deepEqual(res.runs.map((r) => [r.seed, r.best_epoch, r.val, r.test]), local.runs.map((r) => [r.seed, r.best_epoch, r.val, r.test]));
  assert.equal(metricsCsv(out), metricsCsv(join(root, 'local')));
  for (const p of ['gamma=0.5', 'gamma=0.8']) {
    for (const r of ['run-0', 'run-1']) {
      assert.deepEqual(readFileSync(join(out, p, r, 'best', 'model.safetensors')), readFileSync(join(root, 'local', p, r, 'best', 'model.safetensors')), `${p}/${r} weights`);
      assert.deepEqual(metricsLog(join(out, p, r)), metricsLog(join(root, 'local', p, r)));
    }
  }
  // Both workers took runs (the finished lines name them).
  assert.equal(new Set(lines.filter((l) => l.includes('finished on')).map((l) => / finished on (\S+):/.exec(l)![1])).size, 2, lines.join('\n'));
  for (const f of filesUnder(out)) assert.ok(!readFileSync(f).includes(PASSWORD), `${f} holds the Redis password`);
  assert.ok(!lines.join('\n').includes(PASSWORD) && !workers.some((w) => w.output().includes(PASSWORD)), 'a log line holds the Redis password');
  assert.match(readFileSync(join(out, 'queue.json'), 'utf8'), /"queue": "redis:\/\/\*\*\*@127\.0\.0\.1:/);
  // Collected runs leave nothing behind in Redis but BullMQ's bookkeeping.
  const r = new Redis(parseQueueUrl(redis.url).connection);
  assert.deepEqual(await r.keys('gradformer:checkpoint:*'), []);
  r.disconnect();
  await killAll(workers.splice(0));
});

test('a worker killed with -9 mid-run: another resumes from the stored checkpoint and finishes with the uninterrupted weights', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const epochs = 20; // long enough that the kill lands mid-run on a fast machine too
  const local = runExperiment(await options(join(root, 'local-k'), 1, epochs));
  const a = startWorkerProc(redis.url, join(root, 'home'));
  workers.push(a);
  const lines: string[] = [];
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 2, pollMs: 200, log: (l: string) => lines.push(l) };
  const out = join(root, 'killed');
  const state = await enqueueExperiment(await options(out, 1, epochs), q);
  const done = collectExperiment(out, q);
  const r = new Redis(q.target.connection);
  // Kill A once it has stored a checkpoint after epoch 2 or 4 (before the run ends).
  await waitFor(async () => Number(await r.hget(`gradformer:checkpoint:${state.runs[0].job}`, '#epoch')) >= 2, 120_000, 'a stored checkpoint');
  a.proc.kill('SIGKILL');
  const stored = Number(await r.hget(`gradformer:checkpoint:${state.runs[0].job}`, '#epoch'));
  r.disconnect();
  const b = startWorkerProc(redis.url, join(root, 'home'));
  workers.push(b);
  const res = await done;
  assert.ok(stored < epochs, `the kill came after the run ended (checkpoint epoch ${stored})`);
  const finishedBy = / finished on (\S+):/.exec(lines.find((l) => l.includes('finished on'))!)![1];
  assert.equal(finishedBy.split(':')[1], String(b.proc.pid), 'the second worker finished the run');
  // B continues from the checkpoint A stored last (read after the kill).
  assert.ok(lines.some((l) => l.endsWith(`resumed after epoch ${stored}`)), lines.join('\n'));
  assert.match(b.output(), new RegExp(`resuming after epoch ${stored}\\n`));
  assert.deepEqual(res.runs.map((x) => [x.best_epoch, x.val, x.test]), local.runs.map((x) => [x.best_epoch, x.val, x.test]));
  for (const f of ['best/model.safetensors', 'last/model.safetensors', 'last/optimizer.safetensors']) {
    assert.deepEqual(readFileSync(join(out, 'run-0', f)), readFileSync(join(root, 'local-k', 'run-0', f)), f);
  }
  assert.deepEqual(metricsLog(join(out, 'run-0')), metricsLog(join(root, 'local-k', 'run-0')));
  assert.equal(metricsCsv(out), metricsCsv(join(root, 'local-k')));
  await killAll(workers.splice(0));
});

test('Redis restarted mid-experiment (append-only file): the experiment completes and keeps its finished runs', async () => {
  let redis = await startRedis();
  servers.push(redis);
  runExperiment(await options(join(root, 'local-r'), 3, 3));
  workers.push(startWorkerProc(redis.url, join(root, 'home')));
  const lines: string[] = [];
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 1, pollMs: 200, log: (l: string) => lines.push(l) };
  const out = join(root, 'restart');
  await enqueueExperiment(await options(out, 3, 3), q);
  const done = collectExperiment(out, q);
  await waitFor(() => lines.some((l) => l.includes('finished on')), 120_000, 'a finished run');
  await stopRedis(redis);
  redis = await startRedis({ dir: redis.dir, port: redis.port });
  servers.push(redis);
  const res = await done;
  assert.equal(res.runs.length, 3);
  assert.equal(lines.filter((l) => l.includes('finished on')).length, 3, 'each run is finished once');
  assert.equal(metricsCsv(out), metricsCsv(join(root, 'local-r')));
  await killAll(workers.splice(0));
});

test('the coordinator killed after a run finished: --collect keeps that run folder and gathers the rest', async () => {
  const redis = await startRedis();
  servers.push(redis);
  workers.push(startWorkerProc(redis.url, join(root, 'home')));
  const out = join(root, 'coordinator-killed');
  const coord = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'main.ts'), 'experiment', '--preset', 'MUTAG', '--runs', '3',
    '--epochs', '3', '--layers', '1', '--channels', '32', '--queue', redis.url, '--out', out], { env: { ...process.env, GRADFORMER_THREADS: '1', GRADFORMER_HOME: join(root, 'home') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  coord.stderr!.on('data', (b) => { err += b; });
  await waitFor(() => err.includes('finished on'), 120_000, 'a finished run');
  const killed = new Promise((res) => coord.once('exit', res));
  coord.kill('SIGKILL');
  await killed;
  const written = readdirSync(out).filter((d) => d.startsWith('run-')).filter((d) => existsSync(join(out, d, 'log.jsonl')));
  assert.ok(written.length >= 1 && written.length < 3, `runs written before the kill: ${written.join(', ')}`);
  const mtime = statSync(join(out, written[0], 'best', 'model.safetensors')).mtimeMs;
  const lines: string[] = [];
  const res = await collectExperiment(out, { target: parseQueueUrl(redis.url), checkpointEvery: 1, pollMs: 200, log: (l) => lines.push(l) });
  assert.deepEqual(res.runs.map((r) => r.seed), [0, 1, 2]);
  assert.equal(statSync(join(out, written[0], 'best', 'model.safetensors')).mtimeMs, mtime, 'a run written before the kill is kept as it was');
  assert.equal(readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n').length, 1 + 3 + 2);
  await killAll(workers.splice(0));
});

test('jobs lost from Redis (a server without its data) are enqueued again by the coordinator', async () => {
  const redis = await startRedis();
  servers.push(redis);
  const lines: string[] = [];
  const q = { target: parseQueueUrl(redis.url), checkpointEvery: 1, pollMs: 200, log: (l: string) => lines.push(l) };
  const out = join(root, 'flushed');
  await enqueueExperiment(await options(out, 2, 1), q);
  const r = new Redis(q.target.connection);
  await r.flushall();
  r.disconnect();
  workers.push(startWorkerProc(redis.url, join(root, 'home')));
  const res = await collectExperiment(out, q);
  assert.equal(res.runs.length, 2);
  assert.equal(lines.filter((l) => l.includes('enqueued again')).length, 2, lines.join('\n'));
  await killAll(workers.splice(0));
});
