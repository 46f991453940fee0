/**
 * Hyper-parameter grids of `gradformer experiment --grid key=v1,v2`: the keys a
 * grid may sweep (run options, by their official names), parsing and checking
 * of the values, the grid points (cartesian product, the first key varying
 * slowest), and the folder name of a point (`gamma=0.5,n_hop=2`), which
 * `pointOfFolder` reads back.
 */
import type { GradformerConfig } from '../models/config.js';
import type { TrainingProtocol } from '../models/presets.js';
import { UsageError } from './data.js';
import type { Overrides } from './runconfig.js';

type Check = { int: boolean; min: number; max: number; minOpen: boolean; maxOpen: boolean };
type Target = { part: 'model'; key: keyof GradformerConfig } | { part: 'train'; key: keyof TrainingProtocol };

/** A grid key: where its value goes, the command-line option it replaces, and the values it accepts. */
interface GridKey { target: Target; flag: string; check: Check }

const num = (min: number, max = Infinity, minOpen = false, maxOpen = false): Check => ({ int: false, min, max, minOpen, maxOpen });
const int = (min: number): Check => ({ int: true, min, max: Infinity, minOpen: false, maxOpen: false });
const model = (key: keyof GradformerConfig): Target => ({ part: 'model', key });
const train = (key: keyof TrainingProtocol): Target => ({ part: 'train', key });

/** The keys a grid may sweep, with the same value ranges as their options. */
export const GRID_KEYS: Record<string, GridKey> = {
  gamma: { target: model('gamma'), flag: '--gamma', check: num(0, 1, true, false) },
  n_hop: { target: model('n_hop'), flag: '--n-hop', check: num(0) },
  slope: { target: model('slope'), flag: '--slope', check: num(0) },
  layers: { target: model('num_layers'), flag: '--layers', check: int(1) },
  channels: { target: model('channels'), flag: '--channels', check: int(1) },
  heads: { target: model('nhead'), flag: '--heads', check: int(1) },
  dropout: { target: model('dropout'), flag: '--dropout', check: num(0, 1) },
  attn_dropout: { target: model('attn_dropout'), flag: '--attn-dropout', check: num(0, 1) },
  lr: { target: train('lr'), flag: '--lr', check: num(0, Infinity, true) },
  weight_decay: { target: train('weight_decay'), flag: '--weight-decay', check: num(0) },
  batch_size: { target: train('batch_size'), flag: '--batch-size', check: int(1) },
  epochs: { target: train('epochs'), flag: '--epochs', check: int(1) },
  train_fraction: { target: train('train_fraction'), flag: '--train-fraction', check: num(0, 1, true, false) },
};

/** One swept key and its values, in the order given. */
export interface GridAxis { key: string; values: number[] }

/** A grid point: one value per axis, in axis order. */
export type GridPoint = Record<string, number>;

function checkValue(key: string, raw: string): number {
  const { check: c } = GRID_KEYS[key];
  const v = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(v) && (!c.int || Number.isSafeInteger(v)) &&
    (c.minOpen ? v > c.min : v >= c.min) && (c.maxOpen ? v < c.max : v <= c.max);
  if (!ok) {
    const range = c.int ? `an integer >= ${c.min}` : `a number in ${c.minOpen ? '(' : '['}${c.min}, ${c.max}${c.maxOpen ? ')' : ']'}`;
    throw new UsageError(`--grid ${key}: expected ${range}, got '${raw}'`);
  }
  return v;
}

/**
 * Parses the `--grid key=v1,v2` options. `given` names the command-line options
 * set on their own (e.g. '--gamma'): a key both fixed and swept is an error.
 */
export function parseGrid(specs: readonly string[], given: readonly string[] = []): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const spec of specs) {
    const m = /^([a-z_]+)=(.+)$/.exec(spec.trim());
    if (!m) throw new UsageError(`--grid '${spec}': expected key=v1,v2,... (e.g. --grid gamma=0.5,0.7); keys: ${Object.keys(GRID_KEYS).join(', ')}`);
    const [, key, list] = m;
    if (!(key in GRID_KEYS)) throw new UsageError(`--grid: unknown key '${key}'; accepted: ${Object.keys(GRID_KEYS).join(', ')}`);
    if (axes.some((a) => a.key === key)) throw new UsageError(`--grid ${key} is given twice; list all its values in one --grid ${key}=v1,v2`);
    if (given.includes(GRID_KEYS[key].flag)) throw new UsageError(`${GRID_KEYS[key].flag} and --grid ${key} both set ${key}; drop one`);
    const values = list.split(',').map((v) => checkValue(key, v));
    if (new Set(values).size !== values.length) throw new UsageError(`--grid ${key}: a value is repeated (${list})`);
    axes.push({ key, values });
  }
  return axes;
}

/** Every grid point, the first axis varying slowest; one empty point without axes. */
export function gridPoints(axes: readonly GridAxis[]): GridPoint[] {
  let points: GridPoint[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v })));
  return points;
}

/** The overrides of a point on top of the fixed ones. */
export function pointOverrides(base: Overrides, p: GridPoint): Overrides {
  const out: Overrides = { model: { ...base.model }, train: { ...base.train } };
  for (const [key, v] of Object.entries(p)) {
    const t = GRID_KEYS[key].target;
    if (t.part === 'model') (out.model as Record<string, unknown>)[t.key] = v;
    else (out.train as Record<string, unknown>)[t.key] = v;
  }
  return out;
}

/** The folder of a point, `gamma=0.5,n_hop=2` (empty without axes). */
export function pointFolder(p: GridPoint): string {
  return Object.entries(p).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The point a folder name stands for, or null when it is not one. */
export function pointOfFolder(name: string): GridPoint | null {
  const p: GridPoint = {};
  for (const part of name.split(',')) {
    const m = /^([a-z_]+)=(.+)$/.exec(part);
    if (!m || !(m[1] in GRID_KEYS) || !Number.isFinite(Number(m[2]))) return null;
    p[m[1]] = Number(m[2]);
  }
  return p;
}
