/**
 * Predictions from a trained run in the browser (or anywhere without Node): load
 * a run folder's `config.json` and `best/model.safetensors` (as bytes, or from a
 * base URL), featurise SMILES with the caller's RDKit MinimalLib instance exactly
 * as `gradformer predict --smiles` does (the featuriser of the run's dataset),
 * and return the CLI's prediction rows, plus, when asked, per molecule the
 * decay mask of every head and the attention of every layer and head, and the
 * heads' decay curves (what the report draws).
 */
import { featuriserFor, graphsFromSmiles, isMoleculeDataset, MOLECULE_DATASETS } from '../chem/molecule_graphs.js';
import type { RDKit } from '../chem/rdkit_pickle.js';
import { makePeFunction, preprocessMany, type PeOptions } from '../data/pre_compute.js';
import { collate } from '../graph/batch.js';
import type { Task } from '../graph/types.js';
import { parseSafetensors } from '../io/safetensors_format.js';
import type { GradformerConfig } from '../models/config.js';
import { Gradformer } from '../models/gradformer.js';
import { loadStateTensors } from '../models/state.js';
import { decayPanel, headGammas, inspectBatch, type DecayPanel, type GraphInspection } from '../report/views.js';
import { predict } from '../train/predict.js';
import { predictionRows, type PredictionRow } from '../train/predict_rows.js';
import type { ShippedModelAbout } from '../train/shipped_about.js';
import { Rng } from '../util/rng.js';

/** The parts of a run's config.json that prediction reads. */
export interface RunInfo {
  dataset: string;
  model: GradformerConfig;
  train: { pe: PeOptions; batch_size: number };
}

/** A trained model ready to predict, in eval mode. */
export interface LoadedModel {
  run: RunInfo;
  model: Gradformer;
}

/** A run folder's files as the page holds them (dropped, picked or fetched). */
export interface ModelFiles {
  /** config.json: its text, bytes, or the parsed object (a checkpoint's state.json is accepted too). */
  config: string | Uint8Array | ArrayBuffer | object;
  /** model.safetensors bytes. */
  weights: Uint8Array | ArrayBuffer;
  /** Names used in error messages (default config.json, model.safetensors). */
  configName?: string;
  weightsName?: string;
}

/** What `predictSmiles` returns: the CLI's JSON, and the views when asked for. */
export interface SmilesPrediction {
  dataset: string;
  task: Task;
  /** Exactly the rows of `gradformer predict --smiles ... --json` (id = the SMILES). */
  predictions: PredictionRow[];
  /** Per SMILES (with `attention: true`): mask per head, attention per layer and head, distances, bonds. */
  graphs: GraphInspection[] | null;
  /** Decay curves of the heads (out to the largest distance among the molecules when `graphs` are given). */
  decay: DecayPanel;
}

const asBytes = (b: Uint8Array | ArrayBuffer): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b));

/** The run configuration in a config.json (or state.json) value; throws naming the file and what is missing. */
export function readRunInfo(value: ModelFiles['config'], name = 'config.json'): RunInfo {
  let obj: unknown = value;
  if (typeof value === 'string' || value instanceof Uint8Array || value instanceof ArrayBuffer) {
    const text = typeof value === 'string' ? value : new TextDecoder().decode(asBytes(value));
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new Error(`${name}: not JSON (${(e as Error).message}); give the config.json of a run folder written by gradformer train`);
    }
  }
  // A checkpoint's state.json holds the run's configuration under "run".
  const o = obj as Record<string, unknown> | null;
  const run = (o && typeof o === 'object' && o.run && typeof o.run === 'object' ? o.run : o) as Record<string, unknown> | null;
  const train = run?.train as Record<string, unknown> | undefined, pe = train?.pe as Record<string, unknown> | undefined;
  if (!run || typeof run.dataset !== 'string' || !run.model || typeof run.model !== 'object' || !pe || typeof pe.dim !== 'number'
    || (pe.kind !== 'rwse' && pe.kind !== 'lappe') || typeof train!.batch_size !== 'number') {
    throw new Error(`${name}: not a gradformer run configuration (expected dataset, model and train.pe, train.batch_size); ` +
      'give the config.json of a run folder written by gradformer train');
  }
  return run as unknown as RunInfo;
}

/** Builds the run's model and loads its weights; errors name the file at fault. */
export function loadModel(files: ModelFiles): LoadedModel {
  const cName = files.configName ?? 'config.json', wName = files.weightsName ?? 'model.safetensors';
  const run = readRunInfo(files.config, cName);
  let model: Gradformer;
  try {
    // Weights replace every initial value, so the init seed does not matter.
    model = new Gradformer(run.model, new Rng(0));
  } catch (e) {
    throw new Error(`${cName}: its model configuration is not usable (${(e as Error).message})`);
  }
  let tensors;
  try {
    ({ tensors } = parseSafetensors(asBytes(files.weights), wName));
  } catch (e) {
    throw new Error(`${(e as Error).message}; give the model.safetensors of the run folder's best/ checkpoint`);
  }
  loadStateTensors(model, tensors, `${wName} (for the model of ${cName})`);
  model.eval();
  return { run, model };
}

/**
 * Fetches `config.json` and the weights under `base` (a folder's URL, with or
 * without a trailing slash) and loads them: from a run folder (`layout` 'run',
 * the weights of its best/ checkpoint) or from a weights folder ('weights':
 * config.json and model.safetensors side by side, as the page downloads them and
 * the package ships its models).
 */
export async function loadModelFromUrl(base: string | URL, fetchFn: typeof fetch = fetch, layout: 'run' | 'weights' = 'run'): Promise<LoadedModel> {
  const root = new URL(String(base).endsWith('/') ? String(base) : `${String(base)}/`, globalThis.location?.href);
  const weightsPath = layout === 'run' ? 'best/model.safetensors' : 'model.safetensors';
  const [config, weights] = await Promise.all([fetchBytes(new URL('config.json', root), fetchFn, layout), fetchBytes(new URL(weightsPath, root), fetchFn, layout)]);
  return loadModel({ config, weights, configName: new URL('config.json', root).href, weightsName: new URL(weightsPath, root).href });
}

async function fetchBytes(url: URL, fetchFn: typeof fetch, layout: 'run' | 'weights' | 'list'): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchFn(url.href);
  } catch (e) {
    throw new Error(`cannot load ${url.href} (${(e as Error).message}); check the ${layout === 'list' ? 'page\'s folder' : 'folder\'s URL'}`);
  }
  if (!res.ok) {
    throw new Error(`cannot load ${url.href} (HTTP ${res.status}); ` + (layout === 'run' ? 'the run folder must hold config.json and best/model.safetensors'
      : layout === 'weights' ? 'the model folder must hold config.json and model.safetensors' : 'the page was built without its shipped models'));
  }
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * The models shipped with the page (`models/index.json` under `base`, the
 * page's folder): what each is (about.json) and the folder to load it from with
 * `loadModelFromUrl(url, fetch, 'weights')`.
 */
export async function shippedModelList(base: string | URL, fetchFn: typeof fetch = fetch): Promise<{ about: ShippedModelAbout; url: URL }[]> {
  const root = new URL(String(base).endsWith('/') ? String(base) : `${String(base)}/`, globalThis.location?.href);
  const list = JSON.parse(new TextDecoder().decode(await fetchBytes(new URL('models/index.json', root), fetchFn, 'list'))) as ShippedModelAbout[];
  return list.map((about) => ({ about, url: new URL(`models/${encodeURIComponent(about.name)}/`, root) }));
}

/** Options of `predictSmiles`. */
export interface PredictSmilesOptions {
  /** Also return per molecule the decay masks and the attention of every layer (memory: L * H * n^2 floats each). */
  attention?: boolean;
  /**
   * Told after every batch how many molecules are done; awaited, so a page can
   * show progress and yield to its event loop between batches.
   */
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

/**
 * Predicts for SMILES strings with the featuriser of the model's dataset (ZINC
 * or an OGB molecule set), batch by batch in the run's batch size as the CLI
 * does, so the numbers equal `gradformer predict --smiles`'s. Throws naming the
 * SMILES RDKit rejects (and its position), or the dataset when the model is not
 * a molecule model.
 */
export async function predictSmiles(m: LoadedModel, rd: RDKit, smiles: readonly string[],
  opts: PredictSmilesOptions = {}): Promise<SmilesPrediction> {
  const { run, model } = m;
  if (!isMoleculeDataset(run.dataset)) {
    throw new Error(`this model was trained on ${run.dataset}; predictions from SMILES need a molecule model (${MOLECULE_DATASETS.join(', ')})`);
  }
  if (run.model.task === 'node_multi_class') throw new Error('this is a node-level model; predictions from SMILES need a graph-level one');
  const f = featuriserFor(rd, run.dataset);
  const peOf = await makePeFunction(run.train.pe);
  const bs = run.train.batch_size;
  const outs: Float32Array[] = [];
  const views: GraphInspection[] | null = opts.attention ? [] : null;
  let cols = 0;
  // Featurised, preprocessed and run one batch at a time (the CLI's batches), so a
  // long list can report progress; a bad SMILES stops it, named with its position.
  for (let s = 0; s < smiles.length; s += bs) {
    const graphs = graphsFromSmiles(f, smiles.slice(s, s + bs), s);
    const pre = preprocessMany(graphs, peOf, run.train.pe.dim);
    if (views) {
      const seen = inspectBatch(model, graphs, pre);
      views.push(...seen);
      cols = seen[0].out.length;
      outs.push(Float32Array.from(seen.flatMap((v) => v.out)));
    } else {
      const r = predict(model, [collate(graphs, pre, Int32Array.from(graphs.keys()))], false);
      cols = r.cols;
      outs.push(r.out);
    }
    await opts.onProgress?.(Math.min(s + bs, smiles.length), smiles.length);
  }
  const out = new Float32Array(outs.reduce((a, o) => a + o.length, 0));
  outs.reduce((at, o) => { out.set(o, at); return at + o.length; }, 0);
  const decay = decayPanel(Array.from(model.hop.toHost()), headGammas(model), model.config.slope, views?.map((v) => v.spd));
  return { dataset: run.dataset, task: run.model.task, predictions: predictionRows(run.model.task, smiles, out, cols), graphs: views, decay };
}
