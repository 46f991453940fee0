// The thread tuner of `--threads auto` (src/tensor/thread_tuner.ts): which count it settles on
// for a given cost per thread count, what its exploring costs, and that it follows a machine
// that changes under it. Steps are simulated (a cost per node for each count), so these
// tests say what the plan does; test/train_e2e.test.ts runs it in a training loop and in predict().
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { autoThreadTuner, kernels, setBackend, setThreads, threadSetting } from '../src/tensor/backend.js';
import { ThreadTuner, threadCandidates } from '../src/tensor/thread_tuner.js';

/** Runs `steps` simulated steps of `nodes` nodes; cost(n, step) = seconds per node on n threads. */
function simulate(t: ThreadTuner, steps: number, cost: (n: number, step: number) => number, nodes = 700) {
  const used: number[] = [];
  let seconds = 0;
  for (let i = 0; i < steps; i++) {
    const n = t.next();
    used.push(n);
    const s = cost(n, i) * nodes;
    seconds += s;
    t.record(s, nodes);
  }
  return { used, seconds };
}

test('candidates halve from the maximum down to 1', () => {
  assert.deepEqual(threadCandidates(16), [16, 8, 4, 2, 1]);
  assert.deepEqual(threadCandidates(12), [12, 6, 3, 1]);
  assert.deepEqual(threadCandidates(2), [2, 1]);
  assert.deepEqual(threadCandidates(1), [1]);
  assert.throws(() => threadCandidates(0), /max must be an integer >= 1, got 0/);
});

test('one candidate: always 1 thread, nothing timed or decided', () => {
  const set: number[] = [];
  const t = new ThreadTuner(1, (n) => set.push(n));
  const { used } = simulate(t, 50, () => 1e-6);
  assert.ok(used.every((n) => n === 1) && set.every((n) => n === 1));
  assert.equal(t.decisions.length, 0);
});

test('16 cores where 4 threads are fastest and 16 slower than 1 (ZINC on the 16-core machine): it settles on 4', () => {
  const cost: Record<number, number> = { 1: 1.0e-6, 2: 0.6e-6, 4: 0.45e-6, 8: 0.55e-6, 16: 1.4e-6 };
  const t = new ThreadTuner(16, () => {});
  const { used } = simulate(t, 600, (n) => cost[n]);
  assert.equal(t.decisions[0].kind, 'survey');
  assert.equal(t.decisions[0].threads, 4);
  assert.equal(t.threads, 4);
  // after the survey (2 steps a turn) it runs on 4 but for the checks of its neighbours (8 and 2)
  const after = used.slice(2 + 2 * t.decisions[0].step);
  // each check: 3 rounds of 2 steps on each neighbour, 12 steps per 200
  assert.ok(after.filter((n) => n === 4).length / after.length > 0.95, `share on 4: ${after.filter((n) => n === 4).length}/${after.length}`);
  assert.ok(!after.includes(16) && !after.includes(1), 'the far candidates are not tried again');
  // 2 checks in 600 steps, each kept 4
  assert.deepEqual(t.decisions.slice(1).map((d) => [d.kind, d.threads]), [['check', 4], ['check', 4]]);
});

test('never much slower than one thread: where every extra thread loses, it runs on 1 and its exploring costs a few steps', () => {
  const t = new ThreadTuner(16, () => {});
  const steps = 2000;
  const { seconds } = simulate(t, steps, (n) => 1e-6 * (1 + 0.3 * Math.log2(n)));
  assert.equal(t.threads, 1);
  const one = steps * 1e-6 * 700;
  assert.ok(seconds / one < 1.03, `tuned / one thread = ${(seconds / one).toFixed(4)}`);
});

test('a noisy machine (steps +-25%, a 10x outlier every 17 steps): still the fastest count', () => {
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const base: Record<number, number> = { 1: 1.0e-6, 2: 0.7e-6 };
  const t = new ThreadTuner(2, () => {});
  simulate(t, 500, (n, i) => base[n] * (0.75 + 0.5 * rand()) * (i % 17 === 5 ? 10 : 1));
  assert.equal(t.decisions[0].threads, 2);
  assert.equal(t.threads, 2);
});

test('it follows the machine: 2 threads pay until the host moves the cores apart, then 1 does', () => {
  // the 2-core VM: 0.68x in one placement, 1.11x in the other (docs/PERFORMANCE.md, round 19)
  const t = new ThreadTuner(2, () => {});
  const { used } = simulate(t, 1200, (n, i) => (n === 1 ? 1e-6 : i < 400 ? 0.68e-6 : 1.11e-6));
  assert.equal(t.decisions[0].threads, 2);
  assert.equal(t.threads, 1, JSON.stringify(t.decisions.map((d) => [d.step, d.threads])));
  const switched = t.decisions.find((d) => d.threads === 1)!;
  assert.equal(switched.kind, 'check');
  assert.ok(used.slice(-100).every((n) => n === 1));
});

test('settle() applies the chosen count and says which count most steps since the last settle() ran on', () => {
  const set: number[] = [];
  const t = new ThreadTuner(2, (n) => set.push(n), { warmup: 0, period: 5 });
  // before anything ran: the chosen count (1)
  assert.equal(t.settle(), 1);
  assert.equal(set.at(-1), 1);
  // 3 survey rounds of 2 steps on each count (1 leaves after the third: 2x slower), 2 wins
  simulate(t, 12, (n) => (n === 2 ? 0.5e-6 : 1e-6));
  assert.equal(t.threads, 2);
  assert.equal(t.decisions[0].step, 6, 'timed steps: the second of each pair');
  simulate(t, 4, (n) => (n === 2 ? 0.5e-6 : 1e-6));
  assert.equal(t.settle(), 2); // 6 + 4 of 16 steps on 2
  assert.equal(set.at(-1), 2);
});

test("autoThreadTuner: a tuner only under 'auto' with native kernels on the cpu device and more than one core; setThreads and threadSetting say which", () => {
  const before = threadSetting(), backend = kernels().name;
  try {
    setBackend('native');
    setThreads(3);
    assert.equal(threadSetting(), 3);
    assert.equal(autoThreadTuner(), null, 'a fixed count is kept');
    setThreads('auto');
    assert.equal(threadSetting(), 'auto');
    assert.equal(kernels().getThreads(), 1, "outside a tuned run 'auto' is one thread");
    const t = autoThreadTuner();
    if (availableParallelism() > 1) assert.deepEqual(t?.candidates, threadCandidates(availableParallelism()));
    else assert.equal(t, null, 'one core: nothing to choose');
    setBackend('ts');
    assert.equal(autoThreadTuner(), null, 'the TypeScript kernels run on one thread anyway');
  } finally {
    setBackend(backend as 'native' | 'ts' | 'wasm');
    setThreads(before);
  }
});
