/**
 * The `celeriac` CLI as the package ships it: compiled with the build's tsconfig into a directory of its own
 * under `.tmp/` (so a concurrent `npm run build` is not disturbed), and run with plain `node`, no tsx.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../emulator/moto-server.js';

const OUT = path.join(repoRoot, '.tmp', 'local-e2e');

/** Compiles `src/` and `infra/` into `.tmp/local-e2e/dist` (incrementally) and returns the CLI's path. */
export async function buildCli(): Promise<string> {
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    '-p',
    path.join(repoRoot, 'tsconfig.build.json'),
    '--outDir',
    path.join(OUT, 'dist'),
    '--incremental',
    '--tsBuildInfoFile',
    path.join(OUT, 'tsbuildinfo'),
  ];
  const result = await run(process.execPath, args, { cwd: repoRoot });
  // 2: type errors, files emitted all the same. `npm run typecheck` reports type errors; this needs the files.
  if (result.code !== 0 && result.code !== 2)
    throw new Error(`tsc failed (${result.code}):\n${result.output}`);
  return path.join(OUT, 'dist', 'src', 'cli', 'main.js');
}

/** What a finished command printed and how it exited. */
export interface CommandResult {
  readonly code: number | null;
  /** stdout and stderr, interleaved. */
  readonly output: string;
}

/** Runs a command to its end. */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, output };
}
