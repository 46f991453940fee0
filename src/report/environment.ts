/**
 * The environment section of the report: what the run folder recorded (if
 * anything) and the machine the report itself was made on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { kernels } from '../tensor/backend.js';
import { packageRoot } from '../data/registry.js';
import { readJsonIfExists } from './experiment.js';

export type Env = Record<string, string | number | boolean | null>;

/** gradformer's package version. */
export function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The environment of this process: version, backend, threads, machine. */
export function currentEnvironment(): Env {
  const k = kernels();
  const cpus = os.cpus();
  return {
    gradformer: packageVersion(),
    node: process.version,
    backend: k.name,
    threads: k.getThreads(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

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
