/** Unit tests of the data the report is built from (pure functions, no model). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decayCurves, decayValue, hopSeries, parseIndexList, sliceMaskLayout,
} from '../src/report/data.js';
import { bestEpoch, parseLog } from '../src/train/runlog.js';
import { meanStd } from '../src/util/stats.js';
import { splitCsvLine } from '../src/report/experiment.js';
import { jsonForScript, scriptSafe } from '../src/report/html.js';

const line = (epoch: number, val: number, hop: number[]) =>
  JSON.stringify({ epoch, train_loss: 1 / epoch, val, test: val - 0.1, metric: 'accuracy', lr: 1e-3, epoch_seconds: 0.5, hop });

test('parseLog: epochs sorted, final line kept, blank lines ignored', () => {
  const text = [line(2, 0.7, [1, 2]), '', line(1, 0.6, [1, 2]), JSON.stringify({ final: true, best_epoch: 2, val: 0.7, test: 0.6, metric: 'accuracy' }), ''].join('\n');
  const log = parseLog(text);
  assert.deepEqual(log.epochs.map((e) => e.epoch), [1, 2]);
  assert.equal(log.final?.best_epoch, 2);
});

test('parseLog: a damaged line is reported with file and line number; a torn last line (no newline) is dropped and counted', () => {
  assert.throws(() => parseLog(line(1, 0.5, [1]) + '\n{"epoch": 2,\n' + line(3, 0.5, [1]) + '\n', 'runs/x/log.jsonl'), { name: 'DataError', message: /^runs\/x\/log\.jsonl:2: not JSON/ });
  assert.throws(() => parseLog(line(1, 0.5, [1]) + '\n{"epoch": 2,\n', 'L'), /^DataError: L:2: not JSON/); // its newline was written: not torn
  const torn = parseLog(line(1, 0.5, [1]) + '\n{"epoch": 2,', 'L');
  assert.deepEqual([torn.epochs.map((e) => e.epoch), torn.torn], [[1], 1]);
  assert.equal(parseLog(line(1, 0.5, [1]) + '\n').torn, 0);
  assert.throws(() => parseLog('{"foo":1}', 'L'), /^DataError: L:1: no numeric "epoch"/);
});

test('bestEpoch: the final line wins; else strict improvement, earliest best, direction by metric', () => {
  const noFinal = parseLog([line(1, 0.5, [1]), line(2, 0.8, [1]), line(3, 0.8, [1]), line(4, 0.2, [1])].join('\n'));
  assert.equal(bestEpoch(noFinal, true), 2);
  assert.equal(bestEpoch(noFinal, false), 4);
  const withFinal = parseLog(line(1, 0.5, [1]) + '\n' + JSON.stringify({ final: true, best_epoch: 1, val: 0.5, test: 0.4, metric: 'accuracy' }));
  assert.equal(bestEpoch(withFinal, true), 1);
  assert.equal(bestEpoch(parseLog(''), true), null);
});

test('hopSeries: one series per head, in epoch order; head-count changes are refused', () => {
  const log = parseLog([line(1, 0.5, [5, 4, 3]), line(2, 0.6, [5.5, 3.5, 3.25])].join('\n'));
  const s = hopSeries(log.epochs);
  assert.deepEqual(s.epochs, [1, 2]);
  assert.deepEqual(s.perHead, [[5, 5.5], [4, 3.5], [3, 3.25]]);
  const old = parseLog(JSON.stringify({ epoch: 1, val: 1 }) + '\n' + line(2, 0.6, [1, 2]));
  assert.deepEqual(hopSeries(old.epochs).perHead, [[null, 1], [null, 2]]);
  assert.throws(() => hopSeries(parseLog(line(1, 0.5, [1, 2]) + '\n' + line(2, 0.5, [1])).epochs), /epoch 2 logs 1 hop values, other epochs 2/);
});

test('decay curves: gamma ** leaky_relu(d - hop, slope), by hand', () => {
  // slope 0: flat 1 up to hop, then halves per hop of distance
  assert.deepEqual(decayCurves([2], [0.5], 0, 5)[0], [1, 1, 1, 0.5, 0.25, 0.125]);
  // non-integer hop and a second head with its own gamma
  const c = decayCurves([1.5, 0], [0.5, 0.25], 0, 3);
  assert.deepEqual(c[0], [1, 1, Math.SQRT1_2, 0.35355339059327373 /* 2 ** -1.5 */]);
  assert.deepEqual(c[1], [1, 0.25, 0.0625, 0.015625]);
  // slope 0.1: below hop the exponent is negative, so M > 1 (0.5 ** (0.1 * (0 - 2)) = 2 ** 0.2)
  assert.equal(decayValue(0, 2, 0.5, 0.1), 2 ** 0.2);
  // unreachable pairs (510) vanish
  assert.equal(decayValue(510, 5, 0.5, 0), 0.5 ** 505);
  assert.throws(() => decayCurves([1, 2], [0.5], 0, 3), /2 hop values but 1 gamma/);
});

test('sliceMaskLayout: per graph [H, n, n] blocks in graph order', () => {
  const sizes = [2, 3], H = 2;
  // value = 1000 * graph + 100 * head + 10 * i + j, laid out as the model does
  const data: number[] = [];
  sizes.forEach((n, b) => { for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data.push(1000 * b + 100 * h + 10 * i + j); });
  const s = sliceMaskLayout(data, sizes, H);
  assert.equal(s.length, 2);
  assert.deepEqual(Array.from(s[0][1]), [100, 101, 110, 111]);
  assert.deepEqual(Array.from(s[1][0]), [1000, 1001, 1002, 1010, 1011, 1012, 1020, 1021, 1022]);
  assert.equal(s[1][1][2 * 3 + 1], 1121);
  assert.throws(() => sliceMaskLayout(data.slice(1), sizes, H), /has 25 values, graphs of sizes \[2, 3\] with 2 heads need 26/);
});

test('meanStd: population std of the finite values', () => {
  const r = meanStd([1, 2, 3, 4, null, NaN]);
  assert.equal(r.mean, 2.5);
  assert.equal(r.std, Math.sqrt(1.25));
  assert.equal(r.n, 4);
  assert.ok(Number.isNaN(meanStd([]).mean));
});

test('parseIndexList and CSV lines', () => {
  assert.deepEqual(parseIndexList('0, 1,2'), [0, 1, 2]);
  assert.throws(() => parseIndexList('0,-1'), /'-1' is not a non-negative integer/);
  assert.throws(() => parseIndexList(''), /is empty/);
  assert.deepEqual(splitCsvLine('a,"b,c",,"d""e"'), ['a', 'b,c', '', 'd"e']);
});

test('embedding: data and scripts cannot close their <script> element', () => {
  const j = jsonForScript({ s: '</script><b>', x: Infinity });
  assert.ok(!j.includes('</'));
  assert.deepEqual(JSON.parse(j), { s: '</script><b>', x: null });
  assert.ok(!scriptSafe('a = "</script>"').includes('</script'));
});
