/**
 * The environment section of the report: what the run folder recorded (if
 * anything) and the machine the report itself was made on.
 */
import { join } from 'node:path';
import type { Env } from '../util/environment.js';
import { readJsonIfExists } from './experiment.js';

export { currentEnvironment, type Env } from '../util/environment.js';

/**
 * What a run folder says about the machine it ran on: an `env.json` file, or an
 * `env`/`environment` object inside config.json; null when the run recorded none.
 */
export function recordedEnvironment(runDir: string): Env | null {
  const file = readJsonIfExists(join(runDir, 'env.json')) ?? readJsonIfExists(join(runDir, 'environment.json'));
  if (file && typeof file === 'object') return flatten(file);
  const cfg = readJsonIfExists(join(runDir, 'config.json'));
  const inner = cfg?.env ?? cfg?.environment;
  return inner && typeof inner === 'object' ? flatten(inner) : null;
}

function flatten(o: Record<string, unknown>, prefix = ''): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v === null || typeof v === 'number' || typeof v === 'boolean' ? v : Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return out;
}
