/** A trained model back from a run folder, in one call. */
import type { Gradformer } from '../models/gradformer.js';
import {
  isWeightsFolder, loadCheckpointWeights, readCheckpointState, readWeightsFolderState, resolveCheckpointDir,
  type CheckpointState, type WeightsFolderState,
} from './checkpoint.js';
import { buildModel } from './trainer.js';

/**
 * Loads the model of a run folder (from `gradformer train` / `train()`; its
 * `best/` checkpoint unless `prefer` says `last`), of a checkpoint folder
 * itself, or of a weights folder (config.json + model.safetensors, the web
 * page's download; its state has the run and the epoch only), in eval mode. `state.run` is the run's configuration (dataset,
 * model, protocol, seed), enough to rebuild its split with `runSplit`.
 */
export function loadTrainedModel(path: string, prefer: 'best' | 'last' = 'best'): { model: Gradformer; state: CheckpointState | WeightsFolderState; dir: string } {
  const dir = resolveCheckpointDir(path, prefer);
  const state = isWeightsFolder(dir) ? readWeightsFolderState(dir) : readCheckpointState(dir);
  const model = buildModel(state.run);
  loadCheckpointWeights(dir, model);
  model.eval();
  return { model, state, dir };
}
