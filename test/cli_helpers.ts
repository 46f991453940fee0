/**
 * Runs the `gradformer` command from source (through tsx) as a child process, on
 * one thread and with its own GRADFORMER_HOME (cache, downloads) under `home`;
 * `env` adds or overrides environment variables.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export type CliResult = { code: number; stdout: string; stderr: string };

export function cliRunner(home: string, env: Record<string, string> = {}): (...args: string[]) => Promise<CliResult> {
  return (...args) => new Promise((res) => {
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'main.ts'), ...args],
      { env: { ...process.env, GRADFORMER_THREADS: '1', GRADFORMER_HOME: home, ...env }, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
