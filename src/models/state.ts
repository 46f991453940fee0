/**
 * A model's state dict as safetensors tensors and back, on bytes-free maps: the
 * half of weights.ts that needs no file system (the browser build loads weights
 * it fetched or was handed with `parseSafetensors` + `loadStateTensors`).
 * Float parameters and buffers are F32, PyTorch's int64 buffers
 * (num_batches_tracked) I64, so the files load into the official PyTorch model and back.
 */
import type { Module } from '../nn/module.js';
import { toNumbers, type StoredTensor } from '../io/safetensors_format.js';

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

/** Loads tensors into the model's state dict; `source` (a file name) prefixes the error that lists bad keys. */
export function loadStateTensors(model: Module, tensors: Map<string, StoredTensor>, source: string): void {
  const values = new Map<string, { data: ArrayLike<number>; shape: readonly number[] }>();
  for (const [k, v] of tensors) values.set(k, { data: toNumbers(v), shape: v.shape });
  try {
    model.loadStateDict(values);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
}
