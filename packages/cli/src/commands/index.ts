// The commands that work on a connected profile, by name; -1 means unknown command or wrong arguments.
import type { CommandContext } from './context.ts';
import { describeError, exitCodeOf } from '../errors.ts';
import { USAGE } from '../usage.ts';
import { account, login, register } from './account.ts';
import { contacts } from './contacts.ts';
import { history, send } from './messages.ts';
import { trustCommand, TRUST_COMMANDS } from './trust.ts';

export type { CommandContext, Io } from './context.ts';

export async function runCommand(
  command: string,
  args: string[],
  ctx: CommandContext,
): Promise<number> {
  switch (`${command}/${args.length}`) {
    case 'register/2':
      return register(args, ctx);
    case 'login/1':
      return login(args, ctx);
    case 'send/2':
    case 'send-file/2':
    case 'send-voice/2':
      return send(command, args, ctx);
    case 'history/1':
      return history(args, ctx);
    case 'account/1':
      return account(args, ctx);
    default:
      if (command === 'contacts' && args.length >= 1) return contacts(args, ctx);
      if (TRUST_COMMANDS.has(command)) return trustCommand(command, args, ctx);
      return -1;
  }
}

/** Runs a command and prints its failure the way every hush command does; resolves with the exit code. */
export async function runAndReport(
  command: string,
  args: string[],
  ctx: CommandContext,
): Promise<number> {
  try {
    const code = await runCommand(command, args, ctx);
    if (code !== -1) return code;
    ctx.io.stderr(
      `hush: unknown command or wrong arguments: ${[command, ...args].join(' ')}\n${USAGE}`,
    );
    return 2;
  } catch (error) {
    ctx.io.stderr(describeError(error));
    return exitCodeOf(error);
  }
}
