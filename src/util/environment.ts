/**
 * What a run ran on: gradformer's version and commit, Node, kernel backend and
 * threads, the preprocessing algorithm versions (preprocess_*), and the machine.
 * Written into every run folder (env.json), shown by the report and compared by
 * `gradformer reproduce`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { kernels } from '../tensor/backend.js';
import { packageRoot } from '../data/registry.js';
import { sourceRevision } from './revision.js';
import { versionsEnv } from '../data/pre_versions.js';

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
  const rev = sourceRevision(packageRoot());
  return {
    gradformer: packageVersion(),
    commit: rev.commit,
    dirty: rev.dirty,
    node: process.version,
    backend: k.name,
    threads: k.getThreads(),
    ...versionsEnv(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}
