/**
 * Chooses the kernels' thread count of a training run by timing the run's own steps
 * (`--threads auto`, issue #14: more threads must never make a preset slower than one).
 *
 * Why measure instead of deciding from sizes: whether a second thread pays depends on
 * more than the batch. On the 2-core development VM a ZINC epoch at 2 threads took
 * 0.68x the 1-thread epoch in one process and 1.11x in the next, as the host moved its
 * two vCPUs between CCDs (a cache line between them ~80 ns, then ~360 ns;
 * docs/PERFORMANCE.md, rounds 18-19); on the 16-core machine ZINC was slower at 16
 * threads than at 1 while NCI1 gained up to 4. Every kernel gives the same bits on any
 * thread count (test/train_e2e.test.ts), so the choice changes the speed and nothing else.
 *
 * The plan, in steps (a step's cost: its seconds per node of its batch; medians, so a
 * garbage-collection pause or a descheduled step does not decide):
 * - warm-up: the first `warmup` steps run on one thread, unmeasured (first allocations);
 * - survey: the candidates (max, max/2, ..., 1) take turns, two steps each (the first
 *   not timed: it pays for moving the data the other count's threads left in their caches,
 *   which on the 2-core VM made 1 thread look 10% slower than it runs), for up to
 *   `rounds` rounds; from the third round on, a candidate whose median is above `drop`
 *   times the best median leaves. The lowest median wins;
 * - then `period` steps on the winner, then a check: the winner and its neighbours in the
 *   list take turns for `checkRounds` rounds, and a neighbour whose median is below
 *   `switchBelow` times the winner's (measured in the same check) takes over; then
 *   `period` steps again. The machine may change under a long run; the check follows it.
 */

/** Knobs of the plan (defaults in TUNER_DEFAULTS). */
export interface TunerOptions {
  /** Untimed steps on one thread before the survey. */
  warmup: number;
  /** Most survey rounds (each candidate two steps a round). */
  rounds: number;
  /** From the third round, a candidate above drop x the best median leaves the survey. */
  drop: number;
  /** Steps on the choice between checks. */
  period: number;
  /** Rounds of a check. */
  checkRounds: number;
  /** A neighbour takes over at a median below switchBelow x the choice's. */
  switchBelow: number;
}

/**
 * The plan's defaults. Chosen on simulated runs (2000 steps; noise +-10% and +-25% a step, a
 * 10x step every 17, 15% more on a step after the count changed): 1-6% above always running
 * the best count (mean of 200 seeds), the worst seed 15%. Medians of fewer than 3 samples are means, which
 * one slow step decides: no candidate leaves before its third sample, and a check takes 3.
 */
export const TUNER_DEFAULTS: TunerOptions = { warmup: 2, rounds: 5, drop: 1.3, period: 200, checkRounds: 3, switchBelow: 0.92 };

/** A choice the tuner made: after the survey or a check, the count it runs on and every candidate's median (seconds per node). */
export interface TunerDecision {
  /** Timed steps so far when it decided. */
  step: number;
  threads: number;
  kind: 'survey' | 'check';
  medians: { threads: number; secondsPerNode: number }[];
}

/** A decision in words, for progress output: "2 (chosen after 6 timed steps; ms per 1000 nodes on 2: 12.3, 1: 19.7)". */
export function describeDecision(d: TunerDecision): string {
  const ms = d.medians.map((m) => `${m.threads}: ${(m.secondsPerNode * 1e6).toFixed(1)}`).join(', ');
  return `${d.threads} (${d.kind === 'survey' ? 'chosen' : 'checked'} after ${d.step} timed steps; ms per 1000 nodes on ${ms})`;
}

/** max, max/2, ... down to 1 (each halved and rounded down), without repeats. */
export function threadCandidates(max: number): number[] {
  if (!Number.isSafeInteger(max) || max < 1) throw new Error(`thread tuner: max must be an integer >= 1, got ${max}`);
  const out: number[] = [];
  for (let n = max; n >= 1; n = Math.floor(n / 2)) out.push(n);
  if (out[out.length - 1] !== 1) out.push(1);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The plan of the file's comment for one training run: `next()` before each step sets the
 * count, `record()` after it gives its time, `settle()` between epochs; `decisions` says what it chose.
 */
export class ThreadTuner {
  readonly candidates: readonly number[];
  /** Every decision so far, oldest first. */
  readonly decisions: TunerDecision[] = [];
  private readonly o: TunerOptions;
  private winner: number;
  private phase: 'warmup' | 'survey' | 'run' | 'check';
  private left: number;            // warm-up or run steps left
  private alive: number[] = [];    // survey: the candidates still in; check: the winner and its neighbours
  private round = 0;
  private plan: { threads: number; timed: boolean }[] = [];  // the steps still to run this round
  private samples = new Map<number, number[]>();
  private measured = 0;
  private counts = new Map<number, number>();  // steps per thread count since settle()

  /**
   * @param max the most threads to use (>= 1; 1 never changes anything)
   * @param apply sets the kernels' thread count (backend.ts setThreads)
   */
  constructor(max: number, private readonly apply: (threads: number) => void, opts: Partial<TunerOptions> = {}) {
    this.candidates = threadCandidates(max);
    this.o = { ...TUNER_DEFAULTS, ...opts };
    this.winner = 1;
    this.phase = this.candidates.length > 1 ? 'warmup' : 'run';
    this.left = this.o.warmup;
  }

  /** The count the run settled on so far (1 until the survey ends). */
  get threads(): number { return this.winner; }

  /** Sets and returns the thread count for the next step. */
  next(): number {
    if (this.phase === 'warmup' && this.left <= 0) this.startRound('survey', [...this.candidates]);
    const n = this.plan.length > 0 ? this.plan[0].threads : this.winner;
    this.apply(n);
    this.counts.set(n, (this.counts.get(n) ?? 0) + 1);
    return n;
  }

  /** Records the step that next() prepared: its wall time and its batch's node count. */
  record(seconds: number, nodes: number): void {
    if (this.candidates.length === 1) return;
    if (this.phase === 'warmup' || this.phase === 'run') {
      this.left--;
      if (this.phase === 'run' && this.left <= 0) this.startCheck();
      return;
    }
    const { threads: n, timed } = this.plan.shift()!;
    if (timed) {
      this.measured++;
      if (nodes > 0 && Number.isFinite(seconds)) this.samples.get(n)!.push(seconds / nodes);
    }
    if (this.plan.length === 0) this.endRound();
  }

  /**
   * Sets the count chosen so far (for the work between steps: evaluation) and returns the count
   * most of the steps since the last settle() ran on (the epoch's log record), or the chosen one when none ran.
   */
  settle(): number {
    this.apply(this.winner);
    let most = this.winner, k = 0;
    for (const [n, c] of this.counts) if (c > k) { most = n; k = c; }
    this.counts = new Map();
    return most;
  }

  private startRound(phase: 'survey' | 'check', alive: number[]): void {
    this.phase = phase;
    this.alive = alive;
    this.round = 0;
    this.samples = new Map(alive.map((n) => [n, []]));
    this.nextRound();
  }

  /** Alternate the order every round, so no count always runs right after evaluation or after another. */
  private nextRound(): void {
    const order = this.round % 2 === 0 ? [...this.alive] : [...this.alive].reverse();
    this.plan = order.flatMap((n) => [{ threads: n, timed: false }, { threads: n, timed: true }]);
  }

  /** Of every count timed in this survey or check (those that left the survey too). */
  private medians(): { threads: number; secondsPerNode: number }[] {
    return [...this.samples].map(([n, xs]) => ({ threads: n, secondsPerNode: xs.length ? median(xs) : Infinity }));
  }

  private endRound(): void {
    this.round++;
    const med = this.medians();
    const best = med.filter((m) => this.alive.includes(m.threads)).reduce((a, b) => (b.secondsPerNode < a.secondsPerNode ? b : a));
    if (this.phase === 'survey') {
      if (this.round >= 3) this.alive = this.alive.filter((n) => med.find((m) => m.threads === n)!.secondsPerNode <= this.o.drop * best.secondsPerNode);
      if (this.round < this.o.rounds && this.alive.length > 1) { this.nextRound(); return; }
      this.decide('survey', best.threads, med);
      return;
    }
    if (this.round < this.o.checkRounds) { this.nextRound(); return; }
    const mine = med.find((m) => m.threads === this.winner)!.secondsPerNode;
    this.decide('check', best.secondsPerNode < this.o.switchBelow * mine ? best.threads : this.winner, med);
  }

  private startCheck(): void {
    const i = this.candidates.indexOf(this.winner);
    const around = [this.candidates[i - 1], this.winner, this.candidates[i + 1]].filter((n): n is number => n !== undefined);
    this.startRound('check', around);
  }

  private decide(kind: 'survey' | 'check', threads: number, medians: TunerDecision['medians']): void {
    this.winner = threads;
    this.decisions.push({ step: this.measured, threads, kind, medians });
    this.phase = 'run';
    this.left = this.o.period;
    this.plan = [];
  }
}
