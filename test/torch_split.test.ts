// The official TU split drawn exactly: MT19937 and torch.randperm against Debian's
// PyTorch 1.13 (test/data/torch_randperm.json, written by torch.manual_seed(s);
// torch.randperm(n).tolist()), and --split-seed keeping one split across model seeds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { datasetSplit, torchRandomSplit } from '../src/data/splits.js';
import { UsageError } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { runSplit } from '../src/train/trainer.js';
import { Mt19937, torchRandperm } from '../src/util/mt19937.js';
import { mutag } from './report_helpers.js';

const stored = JSON.parse(readFileSync(join(import.meta.dirname, 'data', 'torch_randperm.json'), 'utf8')) as
  { torch: string; seeds: Record<string, Record<string, number[]>> };

test('Mt19937: the reference output of the standard generator (seed 5489, 10000th value)', () => {
  const g = new Mt19937(5489);
  assert.equal(g.next(), 3499211612); // first output of std::mt19937 default-seeded
  for (let i = 1; i < 9999; i++) g.next();
  assert.equal(g.next(), 4123659995); // the C++ standard's check value ([rand.predef])
  assert.throws(() => new Mt19937(-1), /seed must be a non-negative integer/);
});

test('torchRandperm equals torch.randperm after torch.manual_seed, for every stored seed and n', () => {
  let cases = 0;
  for (const [seed, byN] of Object.entries(stored.seeds)) {
    for (const [n, perm] of Object.entries(byN)) {
      assert.deepEqual(Array.from(torchRandperm(Number(n), Number(seed))), perm, `seed ${seed}, n ${n} (torch ${stored.torch})`);
      cases++;
    }
  }
  assert.ok(cases >= 19);
});

test('torchRandomSplit: random_split sizes and the graphs of torch\'s permutation (NCI1, seed 12344)', () => {
  const perm = stored.seeds['12344']['4110'];
  const s = torchRandomSplit(4110, 12344);
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [3288, 411, 411]);
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  assert.deepEqual(Array.from(s.train), sorted(perm.slice(0, 3288)));
  assert.deepEqual(Array.from(s.val), sorted(perm.slice(3288, 3699)));
  assert.deepEqual(Array.from(s.test), sorted(perm.slice(3699)));
});

test('--split-seed keeps one split while the model seed varies; rejected where it cannot apply', async () => {
  const { ds } = await mutag();
  const run = (seed: number, splitSeed?: number) =>
    buildRunConfig(ds, 'MUTAG', { train: { split: 'torch_random_80_10_10', ...(splitSeed === undefined ? {} : { split_seed: splitSeed }) } }, seed);
  const a = runSplit(run(0, 12344), ds), b = runSplit(run(1, 12344), ds);
  assert.deepEqual(a, b);
  assert.deepEqual(a, datasetSplit(ds, 'torch_random_80_10_10', 12344));
  assert.deepEqual(Array.from(a.test), [...stored.seeds['12344']['188'].slice(150 + 18)].sort((x, y) => x - y));
  assert.notDeepEqual(runSplit(run(0), ds).test, runSplit(run(1), ds).test); // without it the split follows the seed
  assert.equal(JSON.stringify(run(0).train).includes('split_seed'), false); // absent, not null: old run folders still resume
  assert.throws(() => run(0, -1), (e: Error) => e instanceof UsageError && /split_seed must be a non-negative integer/.test(e.message));
  const withOwnSplit = { ...ds, officialSplit: datasetSplit(ds, 'random_80_10_10', 0) } as typeof ds;
  assert.throws(() => buildRunConfig(withOwnSplit, 'MUTAG', { train: { split: 'official', split_seed: 3 } }, 0),
    (e: Error) => e instanceof UsageError && /--split-seed has no effect on MUTAG's own split/.test(e.message));
});
