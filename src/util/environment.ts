/**
 * What a run ran on: gradformer's version and commit, Node, kernel backend and
 * threads, the preprocessing algorithm versions (preprocess_*), and the machine.
 * Written into every run folder (env.json), shown by the report and compared by
 * `gradformer reproduce`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { kernels, threadSetting } from '../tensor/backend.js';
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

/**
 * The CPU's x86 family and model from /proc/cpuinfo ("family 25 model 17"), or null elsewhere.
 * Virtual machines often name every EPYC just "AMD EPYC", yet a Zen 4 (family 25) runs the
 * kernels' 512-bit FMAs at half the rate of a Zen 5 (family 26): on the development VMs the
 * same GEMMs ran at 105-113 GFLOP/s on one and 143-196 on the other (docs/PERFORMANCE.md,
 * round 19), so a timing means little without it.
 */
export function cpuId(): string | null {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const family = /^cpu family\s*:\s*(\d+)/m.exec(text)?.[1], model = /^model\s*:\s*(\d+)/m.exec(text)?.[1];
    return family !== undefined && model !== undefined ? `family ${family} model ${model}` : null;
  } catch {
    return null;
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
    threads: threadSetting(),
    ...versionsEnv(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cpu_id: cpuId(),
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}
