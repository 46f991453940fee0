/**
 * gradformer: the package's public API. The model and its configuration, the
 * tensor core, the data layer (registry, preprocessing, splits, loader),
 * training (optimisers, schedules, losses, metrics, trainer, checkpoints) and
 * the paper-protocol experiment runner.
 */
export { Tensor, noGrad } from './tensor/tensor.js';
export { kernels, setBackend, setThreads, getThreads, threadSetting, autoThreadTuner, type BackendName, type ThreadSetting } from './tensor/backend.js';
export { ThreadTuner, threadCandidates, TUNER_DEFAULTS, type TunerOptions, type TunerDecision } from './tensor/thread_tuner.js';
export { setDevice, currentDevice, getDevice, type Device, type DeviceName, type Storage } from './tensor/device.js';
export type { Kernels } from './tensor/kernels.js';
export { Module } from './nn/module.js';
export { Gradformer, type ForwardResult } from './models/gradformer.js';
export { DEFAULT_CONFIG, resolveConfig, type GradformerConfig } from './models/config.js';
export { PRESETS, getPreset, GENERIC_TU, genericTuPreset, resolvePreset, type Preset, type TrainingProtocol } from './models/presets.js';
export { saveWeights, loadWeights } from './models/weights.js';
export { verifyReference, TOLERANCES, type GroupError } from './models/verify.js';
export type { Graph, GraphBatch, GraphPre, Task } from './graph/types.js';
export { collate } from './graph/batch.js';
export type { GraphDataset, Split } from './data/dataset.js';
export { loadTU } from './data/tu.js';
export { describeTU, type TUDescription } from './data/tu_describe.js';
export { Rng, type RngState } from './util/rng.js';
export { Optimizer, OPTIMIZERS, type OptimizerName, type OptimizerState } from './train/optim.js';
export { LrSchedule, warmupCosineFactor, type ScheduleOptions } from './train/schedule.js';
export { clipGradNorm } from './train/clip.js';
export { computeLoss, sbmClassWeights, LOSSES, type LossName } from './train/losses.js';
export { accuracy, mae, binaryRocAuc, ogbRocAuc, weightedAccuracy, computeMetric, METRICS, type MetricName } from './train/metrics.js';
export {
  listDatasets, presetDatasets, getDatasetEntry, registerDataset, loadDataset, dataRoots, findDatasetDir, tuDatasetsIn,
  type DatasetEntry, type LoadOptions,
} from './data/registry.js';
export { preprocessDataset, preprocessGraphs, type PreprocessOptions, type PeOptions } from './data/preprocess.js';
export { clearCache, cleanCache, listCache, type CacheEntry } from './data/cache.js';
export { PRE_VERSIONS, type PreVersions } from './data/pre_versions.js';
export { DataError } from './data/errors.js';
export type { MoleculeCsvOptions, MoleculeCsvDataset } from './data/molcsv.js';
export { moleculeGraphs, moleculeFeaturiser, loadRDKit, loadMoleculeCsv, MOLECULE_DATASETS, type MoleculeDataset } from './chem/molecules.js';
export type { Featuriser, MolGraphParts } from './chem/featuriser.js';
export { randomSplit, torchRandomSplit, stratifiedKFold, datasetSplit, SPLITS, type SplitKind } from './data/splits.js';
export { Mt19937, torchRandperm } from './util/mt19937.js';
export { GraphLoader, type LoaderOptions } from './data/loader.js';
export { datasetInfo, loadDatasetByName, UsageError } from './train/data.js';
export { buildRunConfig, type RunConfig, type Overrides } from './train/runconfig.js';
export {
  train, evaluate, predict, buildModel, runSplit, DivergedError,
  type TrainOptions, type TrainResult, type EpochRecord, type TrainEvent, type PreparedData,
} from './train/trainer.js';
export {
  saveCheckpoint, readCheckpointState, resolveCheckpointDir, loadCheckpointWeights, loadOptimizerState, type CheckpointState,
} from './train/checkpoint.js';
export { loadTrainedModel } from './train/load.js';
export { shippedModel, shippedModels, type ShippedModel, type ShippedModelAbout } from './train/shipped.js';
export { runExperiment, type ExperimentResult } from './train/experiment.js';
export { parseGrid, type GridAxis } from './train/grid.js';
export { meanStd } from './util/stats.js';
export { parseLog, readRunLog, type LogEpoch, type LogFinal, type ParsedLog } from './train/runlog.js';
export { reproduceRun, firstLogDifference, environmentDifferences, type ReproduceOptions, type ReproduceResult, type LogDifference, type EnvDifference } from './train/reproduce.js';
