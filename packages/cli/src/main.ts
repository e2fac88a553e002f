// hush: the command-line Hush client, for people, scripts, bots and tests. Its commands, output and
// exit codes (errors.ts) are kept stable.
//
// One process owns a profile at a time (lock.ts). A command first looks for a running `hush listen`
// on the profile and, if there is one, runs through it (control.ts), printing the same output and
// exiting with the same code; otherwise it takes the profile's lock, connects by itself, and lets go
// when done. Two commands on one profile at once take turns.
import { parseArgs } from 'node:util';
import { installNativeX25519 } from '@hush/core';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { runAndReport, type Io } from './commands/index.ts';
import type { CommandContext } from './commands/context.ts';
import { callOwner, FORWARDED, type CommandOptions } from './control.ts';
import { CliError, describeError, exitCodeOf } from './errors.ts';
import { listen } from './listen.ts';
import { tryLockProfile } from './lock.ts';
import { connectProfile, openProfile, profileDir, type Profile } from './profile.ts';
import { USAGE } from './usage.ts';
import { nodeX25519 } from './node-x25519.ts';

// OMEMO's ratchet steps on node:crypto's X25519, on this thread (node-x25519.ts).
installNativeX25519(nodeX25519);

export type { Io } from './commands/index.ts';
export { USAGE } from './usage.ts';

/** How long a command waits for another one on the same profile to finish. */
const BUSY_WAIT_MS = 30_000;

/** Commands that need the profile itself and never run through its owner. */
const OWNER_ONLY = new Set(['listen', 'register', 'login']);

async function readPassword(io: Io): Promise<string> {
  if (io.env.HUSH_PASSWORD) return io.env.HUSH_PASSWORD;
  const lines = createInterface({ input: io.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

/** Whether a live process answers on the control socket. */
function ownerAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs the command in this process, which holds the profile's lock. */
async function runHere(
  name: string,
  command: string,
  args: string[],
  options: CommandOptions,
  io: Io,
  password: string | undefined,
): Promise<number> {
  let opened: Profile | undefined;
  const ctx: CommandContext = {
    options,
    io,
    profile: async () => (opened ??= await openProfile(io.env, name)),
    connect: async (how = {}) =>
      connectProfile(await ctx.profile(), how.plain ? { plain: true } : {}),
    readPassword: async () => password ?? readPassword(io),
  };
  try {
    if (command !== 'listen') return await runAndReport(command, args, ctx);
    try {
      return await listen(await ctx.profile(), options, io);
    } catch (error) {
      io.stderr(describeError(error));
      return exitCodeOf(error);
    }
  } finally {
    await opened?.close();
  }
}

async function runOnProfile(
  name: string,
  command: string,
  args: string[],
  options: CommandOptions,
  io: Io,
): Promise<number> {
  const dir = await profileDir(io.env, name);
  const socket = join(dir, 'control.sock');
  // The owner cannot read this terminal: a password a command needs is read here and passed on.
  const password =
    command === 'account' && args[0] === 'password' && args.length === 1
      ? await readPassword(io)
      : undefined;
  const deadline = Date.now() + BUSY_WAIT_MS;
  let pause = 20;
  for (;;) {
    if (!OWNER_ONLY.has(command)) {
      const code = await callOwner(
        socket,
        { command, args, options, ...(password !== undefined ? { password } : {}) },
        io,
      );
      if (code !== undefined) return code;
    } else if (await ownerAnswers(socket)) {
      throw new CliError(
        'ProfileBusy',
        `A running hush listen owns profile '${name}'; stop it before ${command === 'listen' ? 'listening again' : `hush ${command}`}.`,
      );
    }
    const lock = tryLockProfile(dir);
    if (lock) {
      try {
        return await runHere(name, command, args, options, io, password);
      } finally {
        lock.release();
      }
    }
    if (Date.now() > deadline)
      throw new CliError(
        'ProfileBusy',
        `Another hush command has been using profile '${name}' for ${BUSY_WAIT_MS / 1000} s; try again when it is done.`,
      );
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 500);
  }
}

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        service: { type: 'string' },
        profile: { type: 'string', default: 'default' },
        json: { type: 'boolean' },
        limit: { type: 'string' },
        plain: { type: 'boolean' },
        files: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`hush: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === undefined) {
    (values.help ? io.stdout : io.stderr)(USAGE);
    return values.help ? 0 : 2;
  }
  if (!OWNER_ONLY.has(command) && !FORWARDED.has(command)) {
    io.stderr(`hush: unknown command or wrong arguments: ${argv.join(' ')}\n${USAGE}`);
    return 2;
  }
  const { service, json, limit, plain, files } = values;
  const options: CommandOptions = {
    ...(service !== undefined ? { service } : {}),
    ...(json !== undefined ? { json } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(plain !== undefined ? { plain } : {}),
    ...(files !== undefined ? { files } : {}),
  };
  try {
    return await runOnProfile(values.profile, command, args, options, io);
  } catch (error) {
    io.stderr(describeError(error));
    return exitCodeOf(error);
  }
}
