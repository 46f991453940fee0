/**
 * Model weights as safetensors files under the official state-dict keys (Node:
 * files; the conversion itself is state.ts, shared with the browser build).
 */
import type { Module } from '../nn/module.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { loadStateTensors, stateTensors } from './state.js';

export { stateTensors };

/** Writes the model's state dict atomically. */
export function saveWeights(model: Module, path: string, metadata: Record<string, string> = {}): void {
  writeSafetensors(path, stateTensors(model), metadata);
}

/** Loads a state dict written by `saveWeights` or exported from the official model (error lists bad keys). */
export function loadWeights(model: Module, path: string): void {
  loadStateTensors(model, readSafetensors(path).tensors, path);
}
