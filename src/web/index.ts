/**
 * gradformer/web: the browser entry. The same model, tape, kernels, graph
 * preprocessing, featurisation, safetensors and metrics as the Node package,
 * importing nothing from Node (test/web_bundle.test.ts fails the build if a Node
 * built-in reaches this bundle). Files, caches, the CLI and the native addon stay
 * in the Node entry.
 *
 * Kernels: the TypeScript ones run until `useWasmKernels()` installs the
 * WebAssembly build of the C kernels (gradformer-relaxed.wasm where the browser
 * runs relaxed SIMD, else gradformer.wasm: both next to this bundle in dist/web/),
 * and registers the `wasm` device over them: after `setDevice('wasm')`
 * new models and tensors live in the WebAssembly heap, so the kernels work on
 * them in place (the fast way to train). Molecules: pass an RDKit MinimalLib instance you loaded
 * (`@rdkit/rdkit`) to `ogbFeaturiser` / `zincFeaturiser`; none is loaded here.
 */
import { useKernels } from '../tensor/active.js';
import { instantiateWasmKernels, wasmFileName, type WasmKernels } from '../tensor/kernels_wasm.js';
import { useWasmDevice } from '../tensor/device_wasm.js';

export { Tensor, noGrad } from '../tensor/tensor.js';
export * as ops from '../tensor/ops.js';
export { kernels, useKernels } from '../tensor/active.js';
export type { Kernels } from '../tensor/kernels.js';
export { tsKernels } from '../tensor/kernels_ts.js';
export { wasmKernels, wasmImports, instantiateWasmKernels, relaxedSimdSupported, wasmFileName, WASM_FILES, type WasmKernels } from '../tensor/kernels_wasm.js';
export { WasmArray, WasmHeap } from '../tensor/wasm_heap.js';
export { makeWasmDevice, useWasmDevice } from '../tensor/device_wasm.js';
export { setDevice, currentDevice, getDevice, type Device, type DeviceName } from '../tensor/device.js';
export { Module } from '../nn/module.js';
export { Gradformer, type ForwardResult } from '../models/gradformer.js';
export { DEFAULT_CONFIG, resolveConfig, type GradformerConfig } from '../models/config.js';
export { PRESETS, getPreset, type Preset } from '../models/presets.js';
export { stateTensors, loadStateTensors } from '../models/state.js';
export { parseSafetensors, serializeSafetensors, toNumbers, type StoredTensor, type DType } from '../io/safetensors_format.js';
export type { Graph, GraphBatch, GraphPre, Task } from '../graph/types.js';
export { collate } from '../graph/batch.js';
export { shortestPathDistances } from '../graph/spd.js';
export { randomWalkPE } from '../graph/rwse.js';
export { makePeFunction, preprocessOne, type PeOptions, type PeFn } from '../data/pre_compute.js';
export { ogbFeaturiser, OGB_ATOM_DIMS, OGB_BOND_DIMS } from '../chem/ogb.js';
export { zincFeaturiser, ZINC_ATOM_DIMS, ZINC_BOND_DIMS } from '../chem/zinc.js';
export type { Featuriser, MolGraphParts } from '../chem/featuriser.js';
export type { RDKit } from '../chem/rdkit_pickle.js';
export { Rng, type RngState } from '../util/rng.js';
export { Optimizer, OPTIMIZERS, type OptimizerName } from '../train/optim.js';
export { LrSchedule, warmupCosineFactor, type ScheduleOptions } from '../train/schedule.js';
export { clipGradNorm } from '../train/clip.js';
export { computeLoss, LOSSES, type LossName } from '../train/losses.js';
export { accuracy, mae, binaryRocAuc, ogbRocAuc, weightedAccuracy, computeMetric, METRICS, type MetricName } from '../train/metrics.js';
export { DataError } from '../data/errors.js';
export { loadModel, loadModelFromUrl, shippedModelList, predictSmiles, readRunInfo, type LoadedModel, type ModelFiles, type PredictSmilesOptions, type RunInfo, type SmilesPrediction } from './predict.js';
export type { ShippedModelAbout } from '../train/shipped_about.js';
export { MOLECULE_DATASETS, isMoleculeDataset, featuriserFor, graphsFromSmiles, type MoleculeDataset } from '../chem/molecule_graphs.js';
export { predictionRows, type PredictionRow } from '../train/predict_rows.js';
export { inspectBatch, decayPanel, headGammas, type GraphInspection, type DecayPanel } from '../report/views.js';

/**
 * The kernels' build this engine runs fastest, next to this module. Each URL is a literal
 * `new URL('./x.wasm', import.meta.url)`, the form bundlers (Vite, webpack, Parcel) find
 * and copy beside their output when they bundle the unbundled ESM (dist/src/web/).
 */
function defaultWasmUrl(): URL {
  return wasmFileName() === 'gradformer-relaxed.wasm'
    ? new URL('./gradformer-relaxed.wasm', import.meta.url)
    : new URL('./gradformer.wasm', import.meta.url);
}

/**
 * Loads the WebAssembly kernels (by default the build this browser runs fastest,
 * `wasmFileName()`, from next to this bundle; or the given URL, or its bytes) and
 * makes them the kernels every op runs on. Rejects with a
 * message naming the URL when it cannot be fetched or is not the kernels' module;
 * the kernels in use stay active then.
 */
export async function useWasmKernels(source: string | URL | BufferSource = defaultWasmUrl()): Promise<WasmKernels> {
  let bytes: BufferSource;
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
    bytes = source;
  } else {
    const res = await fetch(source);
    if (!res.ok) throw new Error(`gradformer/web: cannot load the WebAssembly kernels from ${String(source)} (HTTP ${res.status}); serve dist/web's gradformer.wasm and gradformer-relaxed.wasm next to the bundle or pass its URL`);
    bytes = await res.arrayBuffer();
  }
  let k: WasmKernels;
  try {
    k = await instantiateWasmKernels(bytes);
  } catch (e) {
    const from = ArrayBuffer.isView(source) || source instanceof ArrayBuffer ? 'the given bytes' : String(source);
    const why = (e as Error).message;
    // The binding's own errors already say what to do; the engine's compile errors do not.
    throw new Error(`gradformer/web: ${from} is not a usable gradformer.wasm (${why})${why.includes('npm run build:wasm') ? '' : '; rebuild it with npm run build:wasm'}`);
  }
  useKernels(k);
  useWasmDevice(k); // setDevice('wasm') keeps tensors in this module's heap
  return k;
}
