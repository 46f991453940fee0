/**
 * The trained models that ship in the package (`models/<NAME>/`): weights
 * folders (config.json + model.safetensors, as the web page downloads) with an
 * about.json that says which run they come from and what they scored. They let
 * `gradformer predict --model ZINC --smiles CCO` work with no training and no
 * dataset folder. `scripts/ship-model.ts` writes them from a run's best/ checkpoint.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../data/registry.js';
import type { ShippedModelAbout } from './shipped_about.js';
import { UsageError } from './usage_error.js';

export type { ShippedModelAbout } from './shipped_about.js';

/** A shipped model: what its about.json says, and its folder (config.json, model.safetensors, about.json). */
export interface ShippedModel extends ShippedModelAbout {
  dir: string;
}

/** The folder of the shipped models (`<package>/models`). */
export function shippedModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** Every shipped model, by name. */
export function shippedModels(root = shippedModelsDir()): ShippedModel[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'about.json')))
    .map((e) => readAbout(join(root, e.name)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function readAbout(dir: string): ShippedModel {
  const p = join(dir, 'about.json');
  try {
    return { ...(JSON.parse(readFileSync(p, 'utf8')) as ShippedModelAbout), dir };
  } catch (e) {
    throw new Error(`${p}: unreadable (${(e as Error).message}); reinstall the package`);
  }
}

/** The shipped model called `name` (case-insensitive; `molhiv` for ogbg-molhiv), or a UsageError listing those there are. */
export function shippedModel(name: string, root = shippedModelsDir()): ShippedModel {
  const all = shippedModels(root);
  const key = name.toLowerCase();
  const m = all.find((s) => s.name.toLowerCase() === key || s.name.toLowerCase() === `ogbg-${key}`);
  if (!m) {
    throw new UsageError(`--model ${name}: no such shipped model; the package ships ${all.map((s) => s.name).join(', ') || 'none'} ` +
      '(`gradformer models` lists them); for your own run use --checkpoint DIR');
  }
  return m;
}
