// The CLI as its tests run it: bin/hush.js in a child Node, with its profiles under a throwaway
// home, trusting a test server's CA, and the password where a person would type it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export const cliBin = join(repoRoot, 'packages/cli/bin/hush.js');

/** Node's arguments that run the CLI with `args`, for spawn() and execFile(). */
export const cliArgs = (args: readonly string[]) => [
  '--disable-warning=ExperimentalWarning',
  cliBin,
  ...args,
];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI's environment: profiles under `home`, `caFile` trusted, HUSH_PASSWORD set (empty if none). */
export function cliEnv(caFile: string, home: string, password = ''): NodeJS.ProcessEnv {
  return { ...process.env, NODE_EXTRA_CA_CERTS: caFile, HUSH_HOME: home, HUSH_PASSWORD: password };
}

/** Runs the CLI to its end with stdin closed; `code` is its exit code. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, cliArgs(args), { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}
