/**
 * Model weights as safetensors under the official state-dict keys: float
 * parameters and buffers as F32, PyTorch's int64 buffers (num_batches_tracked)
 * as I64, so files load into the official PyTorch model and back.
 */
import type { Module } from '../nn/module.js';
import { readSafetensors, toNumbers, writeSafetensors, type StoredTensor } from '../io/safetensors.js';

/** The state dict as safetensors tensors (copies). */
export function stateTensors(model: Module): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [key, t, , isInt] of model.stateEntries()) {
    out.set(key, isInt
      ? { dtype: 'I64', shape: [...t.shape], data: BigInt64Array.from(t.toHost(), (v) => BigInt(Math.round(v))) }
      : { dtype: 'F32', shape: [...t.shape], data: t.toHost().slice() });
  }
  return out;
}

/** Writes the model's state dict atomically. */
export function saveWeights(model: Module, path: string, metadata: Record<string, string> = {}): void {
  writeSafetensors(path, stateTensors(model), metadata);
}

/** Loads a state dict written by `saveWeights` or exported from the official model (error lists bad keys). */
export function loadWeights(model: Module, path: string): void {
  const { tensors } = readSafetensors(path);
  const values = new Map<string, { data: ArrayLike<number>; shape: readonly number[] }>();
  for (const [k, v] of tensors) values.set(k, { data: toNumbers(v), shape: v.shape });
  try {
    model.loadStateDict(values);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
