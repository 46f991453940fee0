// Progress output when stderr is not a terminal: one line per epoch with the time left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, progressReporter } from '../src/cli/progress.js';
import type { EpochRecord } from '../src/train/trainer.js';

const record = (epoch: number, seconds: number): EpochRecord => ({
  epoch, train_loss: 0.5, val: 0.8, test: 0.75, metric: 'accuracy', lr: 1e-3, epoch_seconds: seconds, eval_seconds: 1,
  graphs_per_second: 100, peak_rss_mb: 100, hop: [2], threads: 1,
});

test('formatDuration: seconds, minutes, hours', () => {
  assert.equal(formatDuration(44.6), '45 s');
  assert.equal(formatDuration(12 * 60 + 10), '12 min');
  assert.equal(formatDuration(3 * 3600 + 5 * 60), '3 h 05 min');
});

test('one line per epoch, time left from the mean epoch time, none after the last; quiet writes nothing', () => {
  const lines: string[] = [];
  const report = progressReporter({ tty: false, prefix: '[run 1/2]', write: (s) => lines.push(s) });
  for (const [epoch, secs] of [[1, 9], [2, 19], [3, 29]] as const) {
    report({ type: 'epoch_start', epoch, epochs: 3, batches: 4 });
    report({ type: 'batch', epoch, step: 1, batches: 4, loss: 0.5 });
    report({ type: 'epoch_end', record: record(epoch, secs), improved: epoch === 1 });
  }
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^\[run 1\/2\] epoch 1: loss 0\.5000 \| val accuracy 0\.8000 \| test 0\.7500 \| lr 1\.00e-3 \| 9\.0 s \| 20 s left \*\n$/);
  assert.match(lines[1], /\| 19\.0 s \| 15 s left\n$/); // mean (10 + 20) / 2 s, one epoch left
  assert.doesNotMatch(lines[2], /left/);
  const quiet: string[] = [];
  const q = progressReporter({ tty: false, quiet: true, write: (s) => quiet.push(s) });
  q({ type: 'epoch_start', epoch: 1, epochs: 1, batches: 1 });
  q({ type: 'epoch_end', record: record(1, 1), improved: true });
  assert.equal(quiet.length, 0);
});

test("the thread tuner's choices are said after the epoch's line, with the medians it chose from", () => {
  const lines: string[] = [];
  const report = progressReporter({ tty: false, write: (s) => lines.push(s) });
  report({ type: 'epoch_start', epoch: 1, epochs: 2, batches: 4 });
  report({ type: 'threads', decision: { step: 6, threads: 2, kind: 'survey', medians: [{ threads: 2, secondsPerNode: 7.1e-7 }, { threads: 1, secondsPerNode: 1.02e-6 }] } });
  report({ type: 'epoch_end', record: { ...record(1, 3), threads: 2 }, improved: true });
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^epoch 1: /);
  assert.equal(lines[1], 'threads: 2 (chosen after 6 timed steps; ms per 1000 nodes on 2: 0.7, 1: 1.0)\n');
});
