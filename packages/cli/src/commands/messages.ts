// send, send-file, send-voice and history.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import {
  bareJid,
  checkVoiceLimits,
  HushError,
  inspectFile,
  splitJid,
  writeForLater,
  type StoredMessage,
} from '@hush/core';
import { exitCodeOf, isOffline } from '../errors.ts';
import { readInputFile } from '../files.ts';
import { formatMessage, jsonMessage } from '../format.ts';
import type { Profile, ProfileClient } from '../profile.ts';
import type { CommandContext } from './context.ts';

/** How long `send` waits for the server's ack before leaving the message queued. */
const ACK_WAIT_MS = 15_000;

/**
 * Waits until the server has acknowledged the message: its outbox entry is gone (removed on the
 * server's stream-management ack, or on proof of delivery). A state past 'pending' is not enough: a
 * delivery receipt can come before the ack, and an entry left behind is sent again next time. Looks
 * again on each of the Messenger's state and outbox events, never on a timer.
 */
async function untilAcknowledged(
  state: Profile,
  client: ProfileClient,
  message: StoredMessage,
): Promise<StoredMessage> {
  const settled = async (): Promise<StoredMessage | undefined> => {
    const current = await state.storage.messages.get(message.account, message.id);
    if (current?.state === 'failed')
      throw new HushError(
        'SendFailed',
        `${current.failure?.message ?? 'The message could not be sent.'}${current.failure ? ` [${current.failure.code}]` : ''}`,
      );
    const waiting = (await state.storage.outbox.list(message.account)).some(
      (entry) => entry.messageId === message.id,
    );
    return current && !waiting ? current : undefined;
  };
  return new Promise<StoredMessage>((resolve, reject) => {
    let done = false;
    let looking = Promise.resolve();
    const finish = (result: { value: StoredMessage } | { error: unknown }) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearTimeout(timer);
      if ('value' in result) resolve(result.value);
      else reject(result.error);
    };
    // One look at a time, in order: each event's look sees storage after the change it reports.
    const look = () => {
      looking = looking.then(async () => {
        if (done) return;
        try {
          const current = await settled();
          if (current) finish({ value: current });
        } catch (error) {
          finish({ error });
        }
      });
    };
    const unsubscribe = client.messenger.subscribe((event) => {
      if (event.type === 'state' || event.type === 'pending') look();
    });
    const timer = setTimeout(
      () =>
        finish({
          error: new HushError(
            'Timeout',
            'The server did not confirm the message; it stays queued and is sent next time.',
          ),
        }),
      ACK_WAIT_MS,
    );
    look();
  });
}

/** Sends the files an earlier command could not finish (a cut upload, a crash). */
export async function resumeUploads(
  client: ProfileClient,
  print: (line: string) => void,
): Promise<void> {
  const { sent, failed } = await client.files.resume();
  for (const message of sent) print(`hush: sent a file left over from before to ${message.peer}.`);
  for (const { error } of failed)
    print(`hush: a file waiting to be sent failed again: ${error.message} (${error.code})`);
}

/** No connection: the text waits in the profile's outbox and leaves with the next connection. */
async function queueText(
  ctx: CommandContext,
  peer: string,
  body: string,
  why: HushError,
): Promise<number> {
  const state = await ctx.profile();
  const account = await state.account();
  const stored = await writeForLater(
    state.storage,
    { account: account.jid, peer, body, id: randomUUID(), timestamp: Date.now() },
    ctx.options.plain !== true,
  );
  ctx.io.stderr(
    `hush: ${why.message} (${why.code}); the message waits in this profile's outbox and leaves with the next connection.`,
  );
  ctx.io.stdout(ctx.options.json ? jsonMessage(stored) : `Queued for ${peer}.`);
  return 0;
}

export async function send(command: string, args: string[], ctx: CommandContext): Promise<number> {
  const [to = '', what = ''] = args;
  const peer = bareJid(to);
  splitJid(peer);
  // Files are read and checked before anything connects: a wrong path costs no login.
  const file = command === 'send' ? undefined : await readInputFile(what);
  // A voice message is checked before anything is uploaded: its length, size and format. What the
  // file is (its name, type and length) goes encrypted beside its link where the contact reads it.
  const voice = command === 'send-voice' && file ? checkVoiceLimits(file) : undefined;
  const description = file
    ? {
        name: basename(what),
        ...(voice
          ? { mediaType: voice.mimeType, durationMs: voice.durationMs }
          : { mediaType: inspectFile(file).mimeType }),
      }
    : undefined;
  const state = await ctx.profile();
  let client: ProfileClient;
  try {
    client = await ctx.connect({ plain: ctx.options.plain === true });
  } catch (error) {
    // A text can wait for the next connection; a file needs the server for its upload slot.
    if (!file && isOffline(error)) return queueText(ctx, peer, what, error as HushError);
    throw error;
  }
  try {
    await resumeUploads(client, ctx.io.stderr);
    const message = file
      ? await client.files.send(peer, file, description)
      : await client.messenger.sendText(peer, what);
    const current = await untilAcknowledged(state, client, message);
    ctx.io.stdout(
      ctx.options.json
        ? jsonMessage(current)
        : `Sent ${command === 'send' ? '' : command === 'send-voice' ? 'a voice message ' : 'a file '}to ${peer}.`,
    );
    return 0;
  } finally {
    await client.close();
  }
}

export async function history(args: string[], ctx: CommandContext): Promise<number> {
  const peer = bareJid(args[0] ?? '');
  splitJid(peer);
  const limit = Number(ctx.options.limit ?? '50');
  if (!Number.isInteger(limit) || limit <= 0) {
    ctx.io.stderr('hush: --limit takes a positive whole number');
    return 2;
  }
  const state = await ctx.profile();
  const account = await state.account();
  // Catch up first so the history includes what arrived while no hush command ran.
  try {
    await (await ctx.connect({ plain: ctx.options.plain === true })).close();
  } catch (error) {
    if (exitCodeOf(error) !== 5) throw error;
    ctx.io.stderr(`hush: offline (${(error as Error).message}); showing what is stored here.`);
  }
  for (const message of await state.storage.messages.history(account.jid, peer, { limit })) {
    ctx.io.stdout(ctx.options.json ? jsonMessage(message) : formatMessage(message));
  }
  return 0;
}
