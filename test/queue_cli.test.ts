// The queue from the command line, over TLS with a password: `experiment --queue
// rediss://... --detach`, a `gradformer worker`, `experiment --collect`; the
// tables equal a local `gradformer experiment`'s and the password appears in
// no output and no file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliRunner } from './cli_helpers.js';
import { filesUnder, metricsCsv, queueScratch, selfSignedCert, startRedis, startWorkerProc } from './queue_helpers.js';
import { tmp } from './report_helpers.js';

const root = tmp('queue-cli');
const PASSWORD = 'tls-pw-4Kq9Lx';
const { servers, workers } = queueScratch(root);


test('rediss:// with a password: --detach, a worker, --collect; the local tables, and the password nowhere', async () => {
  const tls = selfSignedCert(root);
  const redis = await startRedis({ password: PASSWORD, tls });
  servers.push(redis);
  assert.match(redis.url, /^rediss:\/\//);
  // Both sides trust the test's own certificate authority, as a deployment would its own.
  const env = { NODE_EXTRA_CA_CERTS: tls.cert };
  const gf = cliRunner(join(root, 'home'), env);
  const opts = ['--preset', 'MUTAG', '--runs', '2', '--epochs', '2', '--layers', '1', '--channels', '32', '--grid', 'n_hop=1,3', '--quiet'];

  const local = await gf('experiment', ...opts, '--out', join(root, 'local'));
  assert.equal(local.code, 0, local.stderr);
  const out = join(root, 'queued');
  const enq = await gf('experiment', ...opts, '--queue', redis.url, '--detach', '--out', out);
  assert.equal(enq.code, 0, enq.stderr);
  assert.match(enq.stderr, /enqueued 4 runs on rediss:\/\/\*\*\*@127\.0\.0\.1:\d+ as experiment [0-9a-f]{12}/);
  assert.ok(enq.stdout.includes(`--collect ${out}`), enq.stdout);

  workers.push(startWorkerProc(redis.url, join(root, 'home'), [], env));
  const col = await gf('experiment', '--queue', redis.url, '--collect', out);
  assert.equal(col.code, 0, col.stderr);
  assert.match(col.stderr, /finished on .*best epoch/);
  assert.equal(metricsCsv(out), metricsCsv(join(root, 'local')));
  assert.equal(col.stdout.replaceAll(out, 'OUT'), local.stdout.replaceAll(join(root, 'local'), 'OUT'));
  for (const f of filesUnder(out)) assert.ok(!readFileSync(f).includes(PASSWORD), `${f} holds the Redis password`);
  for (const s of [enq.stdout, enq.stderr, col.stdout, col.stderr, workers[0].output()]) assert.ok(!s.includes(PASSWORD), 'an output holds the Redis password');

  // Misuse is one clear line each.
  const noQueue = await gf('experiment', '--collect', out);
  assert.match(noQueue.stderr, /gradformer: error: --collect gathers an experiment from its queue; add --queue redis:\/\/HOST\[:PORT\]\n$/);
  const again = await gf('experiment', ...opts, '--queue', redis.url, '--out', out);
  assert.match(again.stderr, /already holds a queued experiment \(queue\.json\); gather it with: gradformer experiment --queue rediss:\/\/\*\*\*@/);
  const extra = await gf('experiment', '--queue', redis.url, '--collect', out, '--epochs', '3');
  assert.match(extra.stderr, /--collect takes the experiment's settings from .*queue\.json; drop --epochs/);
});
