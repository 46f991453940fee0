/**
 * What a run ran on: gradformer's version, Node, kernel backend and threads, and
 * the machine. Written into every run folder (env.json) and shown by the report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { kernels } from '../tensor/backend.js';
import { packageRoot } from '../data/registry.js';

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
 * The source this code came from: the git commit (and whether tracked files had
 * uncommitted changes) of the package's checkout, or, without .git (an installed
 * package, a copy of a build), what the build recorded in dist/build-info.json.
 */
export function sourceRevision(root = packageRoot()): { commit: string | null; dirty: boolean | null } {
  if (existsSync(join(root, '.git'))) {
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
    } catch {
      // git missing or not usable here: fall through to the build's record
    }
  }
  try {
    const info = JSON.parse(readFileSync(join(root, 'dist', 'build-info.json'), 'utf8'));
    return { commit: info.commit ?? null, dirty: info.dirty ?? null };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** The environment of this process: version, backend, threads, machine. */
export function currentEnvironment(): Env {
  const k = kernels();
  const cpus = os.cpus();
  const rev = sourceRevision();
  return {
    gradformer: packageVersion(),
    commit: rev.commit,
    dirty: rev.dirty,
    node: process.version,
    backend: k.name,
    threads: k.getThreads(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}
