/**
 * Pure functions that turn a run's records into the series the report draws:
 * the hop-per-head series, decay curves and the per-graph blocks of tensors in mask layout. No I/O here, so each
 * can be unit-tested against a direct computation. (Reading log.jsonl:
 * src/train/runlog.ts.)
 */
import type { LogEpoch } from '../train/runlog.js';

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

/** Parses comma-separated graph indices ("0,1,2"), rejecting anything else with a clear message. */
export function parseIndexList(s: string, what = '--graphs'): number[] {
  const parts = s.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`report: ${what} is empty; give comma-separated indices such as 0,1,2`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`report: ${what} entry '${p}' is not a non-negative integer; give e.g. 0,1,2`);
    return Number(p);
  });
}
