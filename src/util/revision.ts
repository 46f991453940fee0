/**
 * Which source a build came from: the git commit and whether tracked files had
 * uncommitted changes. Kept free of other imports: the build script
 * (scripts/build-info.js) calls it right after tsc, before anything is loaded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Revision { commit: string | null; dirty: boolean | null }

/** The revision of the git checkout at `root`, or null when it is none (or git is missing). */
export function gitRevision(root: string): Revision | null {
  if (!existsSync(join(root, '.git'))) return null;
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return null;
  }
}

/**
 * The revision of the package at `root`: from git in a checkout, else (an installed
 * package, a copy of a build) what the build recorded in dist/build-info.json, else nulls.
 */
export function sourceRevision(root: string): Revision {
  const fromGit = gitRevision(root);
  if (fromGit) return fromGit;
  try {
    const info = JSON.parse(readFileSync(join(root, 'dist', 'build-info.json'), 'utf8'));
    return { commit: info.commit ?? null, dirty: info.dirty ?? null };
  } catch {
    return { commit: null, dirty: null };
  }
}
