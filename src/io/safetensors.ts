/**
 * safetensors files (Node): reading and atomic writing around the format of
 * safetensors_format.ts, whose names are re-exported here.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { parseSafetensors, serializeSafetensors, type StoredTensor } from './safetensors_format.js';

export * from './safetensors_format.js';

export function readSafetensors(path: string): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
  return parseSafetensors(readFileSync(path), path);
}

/** Writes a safetensors file atomically (temporary file, then rename). */
export function writeSafetensors(path: string, tensors: Map<string, StoredTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
