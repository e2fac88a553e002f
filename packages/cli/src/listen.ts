// `hush listen`: the profile's owner. It prints messages as they come, keeps its connection up for as
// long as it runs (through server restarts and network loss, with backoff), says when the connection
// comes and goes, and runs every other hush command on the profile through its control socket, so a
// bot can listen and send at once and only this process ever writes the device's OMEMO sessions.
import { join } from 'node:path';
import { HushError, isHushError, type MessengerEvent, type OmemoEvent } from '@hush/core';
import { runAndReport } from './commands/index.ts';
import type { CommandContext, Io } from './commands/context.ts';
import { CliError, describeError } from './errors.ts';
import {
  serveControl,
  type CommandOptions,
  type ControlServer,
  type RunRequest,
} from './control.ts';
import { fileLink, receiveFile } from './files.ts';
import { formatMessage, jsonMessage } from './format.ts';
import { connectProfile, type Profile, type ProfileClient } from './profile.ts';
import { resumeUploads } from './commands/messages.ts';

/** Failures that waiting does not mend: a person has to act. */
const FATAL = new Set(['WrongPassword', 'NoAccount', 'CertificateUntrusted', 'EncryptionRequired']);

/** First connection attempts: 1 s, then twice as long each time, at most a minute apart. */
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
/** A connection attempt stuck half-way (a stalled link) for this long is dropped and retried. */
const STUCK_MS = 30_000;

type ConnectionState = 'connecting' | 'online' | 'offline' | 'reconnecting';

const SEND_COMMANDS = new Set(['send', 'send-file', 'send-voice']);

export async function listen(state: Profile, options: CommandOptions, io: Io): Promise<number> {
  const json = options.json === true;
  const plain = options.plain === true;
  const filesDir = options.files ?? join(state.dir, 'files');
  let client: ProfileClient | undefined;
  let downloads = Promise.resolve();
  let stopped = false;
  const interrupted =
    io.interrupted ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  void interrupted.then(() => (stopped = true));
  // Signal handlers alone do not keep Node running; while listening, nothing else may have to.
  const keepAlive = setInterval(() => undefined, 1 << 30);

  let last: ConnectionState | undefined;
  const report = (next: ConnectionState, detail: Record<string, unknown> = {}) => {
    if (next === last) return;
    last = next;
    if (json) io.stdout(JSON.stringify({ type: 'connection', state: next, ...detail }));
    else if (next === 'online') io.stderr('hush: online.');
    else if (next === 'offline')
      io.stderr(`hush: offline${typeof detail.reason === 'string' ? ` (${detail.reason})` : ''}.`);
    else if (next === 'reconnecting') io.stderr('hush: reconnecting...');
  };

  const onEvent = (event: MessengerEvent) => {
    if (event.type === 'message' && event.message.direction === 'in') {
      io.stdout(json ? jsonMessage(event.message) : formatMessage(event.message));
      const link = fileLink(event.message.body);
      if (link && event.message.state === 'received') {
        const from = event.message.peer;
        const name = event.message.file?.name;
        downloads = downloads.then(() => receiveFile(link, from, filesDir, json, io.stdout, name));
      }
    } else if (event.type === 'error') {
      io.stderr(`hush: ${event.error.message} (${event.error.code})`);
    }
  };
  const onOmemoEvent = (event: OmemoEvent) => {
    if (event.type === 'identity-changed')
      io.stderr(
        `hush: device ${event.deviceId} of ${event.jid} has a new key; it gets nothing until you trust it (hush fingerprints ${event.jid}).`,
      );
  };

  // Other hush commands on this profile run here, on this process's connection and storage.
  const runRequest: RunRequest = async (request, output) => {
    const ctx: CommandContext = {
      options: request.options,
      io: output,
      profile: async () => state,
      async connect() {
        if (client?.session.client.status !== 'online')
          throw new HushError(
            'ServerUnreachable',
            'The server cannot be reached now; the running hush listen keeps trying.',
          );
        return { ...client, close: async () => undefined };
      },
      readPassword: async () => request.password ?? '',
    };
    if (SEND_COMMANDS.has(request.command) && (request.options.plain === true) !== plain) {
      output.stderr(
        describeError(
          new CliError(
            'Usage',
            `The hush listen that owns this profile runs ${plain ? 'with' : 'without'} --plain; send the same way or stop it first.`,
          ),
        ),
      );
      return 2;
    }
    return runAndReport(request.command, [...request.args], ctx);
  };

  let control: ControlServer | undefined;
  try {
    control = await serveControl(join(state.dir, 'control.sock'), runRequest);
  } catch (error) {
    io.stderr(
      `hush: no control socket (${String(error)}); other hush commands on this profile wait until listen stops.`,
    );
  }

  try {
    // The first connection: retried with backoff while the server cannot be reached.
    report('connecting');
    let delay = FIRST_DELAY_MS;
    while (!stopped && !client) {
      try {
        client = await connectProfile(state, { plain, onEvent, onOmemoEvent });
      } catch (error) {
        if (isHushError(error) && FATAL.has(error.code)) throw error;
        report('offline', { reason: (error as Error).message });
        await Promise.race([interrupted, new Promise((resolve) => setTimeout(resolve, delay))]);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
        if (!stopped) report('reconnecting');
      }
    }
    if (!client) return 0;
    const { session } = client;
    const xmpp = session.client;
    report('online', { resumed: false });
    if (json)
      io.stdout(
        JSON.stringify({
          type: 'ready',
          jid: session.jid,
          ...(client.omemo ? { deviceId: client.omemo.deviceId } : {}),
        }),
      );
    else io.stderr(`Listening as ${session.jid}; Ctrl-C stops.`);

    // From here on the session reconnects by itself (core: backoff, stream resumption).
    let changedAt = Date.now();
    xmpp.on('status', (status: string) => {
      changedAt = Date.now();
      if (status === 'disconnect') report('offline');
      else if (status === 'connecting') report('reconnecting');
      else if (status === 'online') report('online', { resumed: false });
    });
    xmpp.streamManagement.on('resumed', () => {
      changedAt = Date.now();
      report('online', { resumed: true });
    });
    xmpp.on('error', (error: Error) => {
      if (last !== 'online') report('offline', { reason: error.message });
    });
    // A connection attempt that hangs half-way (the link stalls during the handshake) would wait
    // forever: drop it, and the session's reconnection tries again.
    const watchdog = setInterval(() => {
      const status = xmpp.status;
      if (status === 'online' || status === 'disconnect' || status === 'offline') return;
      if (Date.now() - changedAt < STUCK_MS) return;
      changedAt = Date.now();
      void (xmpp as unknown as { disconnect(): Promise<void> }).disconnect().catch(() => undefined);
    }, 5000);
    try {
      await resumeUploads(client, io.stderr);
      await interrupted;
    } finally {
      clearInterval(watchdog);
    }
    return 0;
  } finally {
    clearInterval(keepAlive);
    await control?.close();
    await downloads;
    await client?.close();
  }
}
