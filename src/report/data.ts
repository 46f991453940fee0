/**
 * Pure functions that turn a run's records into the series the report draws:
 * log.jsonl parsing, the hop-per-head series, decay curves, the best epoch,
 * and the per-graph blocks of tensors in mask layout. No I/O here, so each
 * can be unit-tested against a direct computation.
 */

/** One epoch line of log.jsonl (issue 5 format; `hop` may be absent in old logs). */
export interface LogEpoch {
  epoch: number;
  train_loss: number | null;
  val: number | null;
  test: number | null;
  metric: string;
  lr: number | null;
  epoch_seconds: number | null;
  eval_seconds?: number | null;
  graphs_per_second?: number | null;
  peak_rss_mb?: number | null;
  /** Learned hop shift per head at the end of the epoch [H]. */
  hop?: number[];
}

/** The closing line of log.jsonl. */
export interface LogFinal { final: true; best_epoch: number; val: number | null; test: number | null; metric: string }

export interface ParsedLog { epochs: LogEpoch[]; final: LogFinal | null }

/**
 * Parses log.jsonl text: one JSON object per line, blank lines ignored.
 * Throws naming the file and line on malformed input (a report of a corrupt log is worse than none).
 */
export function parseLog(text: string, file = 'log.jsonl'): ParsedLog {
  const epochs: LogEpoch[] = [];
  let final: LogFinal | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let o: any;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new Error(`report: ${file}:${i + 1} is not JSON (${(e as Error).message}); the run folder's log is damaged`);
    }
    if (o && o.final === true) { final = o as LogFinal; continue; }
    if (!o || typeof o.epoch !== 'number') {
      throw new Error(`report: ${file}:${i + 1} has no numeric "epoch" (expected one object per epoch, as gradformer train writes)`);
    }
    epochs.push(o as LogEpoch);
  }
  epochs.sort((a, b) => a.epoch - b.epoch);
  return { epochs, final };
}

/**
 * The best epoch: the final line's when present, else model selection over the
 * log (strict improvement, earliest best wins, as the trainer).
 * @param higherIsBetter direction of the validation metric
 */
export function bestEpoch(log: ParsedLog, higherIsBetter: boolean): number | null {
  if (log.final) return log.final.best_epoch;
  let best: LogEpoch | null = null;
  for (const e of log.epochs) {
    if (e.val === null || !Number.isFinite(e.val)) continue;
    if (best === null || (higherIsBetter ? e.val > best.val! : e.val < best.val!)) best = e;
  }
  return best ? best.epoch : null;
}

/** Whether a metric name is maximised (everything but MAE). */
export function metricHigherIsBetter(metric: string): boolean {
  return metric !== 'mae';
}

/**
 * Hop of every head over the epochs: `[H][epochs]` (null where an epoch has no hop).
 * Throws when the head count changes between epochs (two runs mixed in one log).
 */
export function hopSeries(epochs: LogEpoch[]): { epochs: number[]; perHead: (number | null)[][] } {
  const H = epochs.reduce((m, e) => Math.max(m, e.hop?.length ?? 0), 0);
  for (const e of epochs) {
    if (e.hop && e.hop.length !== H) {
      throw new Error(`report: epoch ${e.epoch} logs ${e.hop.length} hop values, other epochs ${H}; one log holds one run`);
    }
  }
  const perHead = Array.from({ length: H }, (_, h) => epochs.map((e) => (e.hop ? e.hop[h] : null)));
  return { epochs: epochs.map((e) => e.epoch), perHead };
}

/** leaky_relu(x, slope) as torch: x for x >= 0, slope * x otherwise. */
export function leakyRelu(x: number, slope: number): number {
  return x >= 0 ? x : slope * x;
}

/** The decay mask value M = gamma ** leaky_relu(d - hop, slope) of one head at distance d. */
export function decayValue(d: number, hop: number, gamma: number, slope: number): number {
  return Math.pow(gamma, leakyRelu(d - hop, slope));
}

/**
 * Decay curves `[H][dMax + 1]`: head h at distance d = 0..dMax.
 * @param gammas one gamma per head (all equal unless gamma is learned)
 */
export function decayCurves(hops: number[], gammas: number[], slope: number, dMax: number): number[][] {
  if (gammas.length !== hops.length) throw new Error(`report: ${hops.length} hop values but ${gammas.length} gamma values`);
  return hops.map((hop, h) => Array.from({ length: dMax + 1 }, (_, d) => decayValue(d, hop, gammas[h], slope)));
}

/**
 * Cuts a tensor in mask layout (per graph b a block [H, n_b, n_b], blocks in
 * graph order) into per graph, per head row-major [n_b * n_b] matrices:
 * result[b][h][i * n_b + j] (row = query i, column = key j).
 * @param sizes node counts n_b of the graphs of the batch, in batch order
 */
export function sliceMaskLayout(data: ArrayLike<number>, sizes: number[], heads: number): Float32Array[][] {
  const total = sizes.reduce((s, n) => s + heads * n * n, 0);
  if (data.length !== total) {
    throw new Error(`report: mask-layout tensor has ${data.length} values, graphs of sizes [${sizes.join(', ')}] with ${heads} heads need ${total}`);
  }
  const out: Float32Array[][] = [];
  let o = 0;
  for (const n of sizes) {
    const per: Float32Array[] = [];
    for (let h = 0; h < heads; h++) {
      per.push(Float32Array.from({ length: n * n }, (_, k) => data[o + k]));
      o += n * n;
    }
    out.push(per);
  }
  return out;
}

/** Mean and population standard deviation (numpy's np.std, as the paper's tables) of finite values. */
export function meanStd(xs: (number | null)[]): { mean: number; std: number; n: number } {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, n: v.length };
}

/** Parses comma-separated graph indices ("0,1,2"), rejecting anything else with a clear message. */
export function parseIndexList(s: string, what = '--graphs'): number[] {
  const parts = s.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`report: ${what} is empty; give comma-separated indices such as 0,1,2`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`report: ${what} entry '${p}' is not a non-negative integer; give e.g. 0,1,2`);
    return Number(p);
  });
}
