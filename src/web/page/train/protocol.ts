/** Messages between the Train tab and its Web Worker (worker.ts). */
import type { EpochRecord } from '../../../train/loop.js';

/** What the user chose: the bundled MUTAG or an uploaded TU zip, and the run's few settings. */
export interface TrainRequest {
  type: 'start';
  data: { kind: 'bundled' } | { kind: 'zip'; fileName: string; bytes: ArrayBuffer };
  epochs: number;
  seed: number;
  layers: number;
  /** 'ts' forces the TypeScript kernels (the page's ?kernels=ts); default: wasm, falling back to ts. */
  kernels?: 'wasm' | 'ts';
}

export type WorkerMessage =
  /** The kernels in use; `note` says why the wasm ones are not (fallback). */
  | { type: 'kernels'; name: 'wasm' | 'ts'; note?: string }
  | { type: 'dataset'; name: string; graphs: number; classes: number; task: string; preset: string; metric: string; split: [number, number, number]; heads: number; preprocessSeconds: number }
  | { type: 'epoch'; record: EpochRecord; improved: boolean }
  /** The weights of the best epoch so far (safetensors bytes) and the run's config.json text. */
  | { type: 'best'; epoch: number; weights: ArrayBuffer; config: string }
  | { type: 'done'; bestEpoch: number; val: number; test: number; metric: string }
  | { type: 'error'; message: string };
