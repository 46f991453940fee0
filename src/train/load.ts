/** A trained model back from a run folder, in one call. */
import type { Gradformer } from '../models/gradformer.js';
import { loadCheckpointWeights, readCheckpointState, resolveCheckpointDir, type CheckpointState } from './checkpoint.js';
import { buildModel } from './trainer.js';

/**
 * Loads the model of a run folder (from `gradformer train` / `train()`; its
 * `best/` checkpoint unless `prefer` says `last`) or of a checkpoint folder
 * itself, in eval mode. `state.run` is the run's configuration (dataset,
 * model, protocol, seed), enough to rebuild its split with `runSplit`.
 */
export function loadTrainedModel(path: string, prefer: 'best' | 'last' = 'best'): { model: Gradformer; state: CheckpointState; dir: string } {
  const dir = resolveCheckpointDir(path, prefer);
  const state = readCheckpointState(dir);
  const model = buildModel(state.run);
  loadCheckpointWeights(dir, model);
  model.eval();
  return { model, state, dir };
}
