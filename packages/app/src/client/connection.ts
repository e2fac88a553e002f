// A logged-in session put to work: core's startClient (contacts, then OMEMO, then the Messenger),
// push for this device, files left half-sent, the chat views, and the session's status as the
// account's phase. account.ts does this with every new session and undoes it on disconnect.
import {
  bareJid,
  FileSender,
  SpamReports,
  startClient,
  type HushClient,
  type OmemoEvent,
  type Storage,
  type XmppSession,
} from '@hush/core';
import type { Platform } from '../platform/types.ts';
import { PushController } from '../push/controller.ts';
import { fileVoiceSender, type VoiceSender } from '../voice/sender.ts';
import type { AccountSnapshot, Connection } from './account-types.ts';
import type { ChatStore } from './chats.ts';
import type { FileKeeper } from './kept-files.ts';

/** A User Timing mark where the platform has them (browsers): where a start spends its time. */
export function mark(name: string): void {
  (globalThis as { performance?: { mark?: (name: string) => unknown } }).performance?.mark?.(name);
}

export interface ConnectOptions {
  readonly platform: Platform;
  readonly storage: Storage;
  readonly session: XmppSession;
  /** The account's chat views as they are once the catch-up is in storage: attached then. */
  readonly chats: () => ChatStore | undefined;
  /** Keeps the files of messages, in and out, on this device. */
  readonly files: FileKeeper;
  /** The account's snapshot changes: its phase as the session goes, errors to show. */
  readonly report: (changes: Partial<AccountSnapshot>) => void;
  readonly onOmemoEvent: (event: OmemoEvent) => void;
}

export interface Connected {
  readonly connection: Connection;
  /** Push for this device, where the platform has it. */
  readonly push: PushController | undefined;
  /** Voice messages and files out, through this session. */
  readonly voice: VoiceSender;
  /** Undoes what connect did (listeners, push), in order; closing the client is the caller's. */
  readonly detach: readonly (() => void)[];
}

/** Starts the client on `session`; a client that fails to start closes the session. */
export async function connect(options: ConnectOptions): Promise<Connected> {
  const { platform, storage, session, report } = options;
  // Wired by core's startClient, as the CLI does: contacts, then OMEMO (keys published before
  // the catch-up decrypts anything), then the Messenger with its catch-up and outbox resend.
  let client: HushClient;
  try {
    client = await startClient({
      session,
      storage,
      clientType: platform.name === 'web' ? 'web' : 'phone',
      onStartPhase: (phase) => mark(`hush:${phase}`),
      onMessengerEvent: (event) => {
        if (event.type === 'error') report({ error: event.error });
        // Files of messages in and out, caught up or live, are kept on this device as they come.
        if (event.type === 'message' && event.message.state !== 'undecryptable')
          void options.files.keep(event.message.body);
      },
      onOmemoEvent: options.onOmemoEvent,
      ...(platform.push ? { push: platform.push.state(bareJid(session.jid)) } : {}),
    });
  } catch (error) {
    // A half-started client must not keep a logged-in stream behind the person's back.
    await session.close();
    throw error;
  }
  const { contacts, messenger, omemo } = client;
  const connection = { session, messenger, contacts, client, ...(omemo ? { omemo } : {}) };
  let attached = true;
  const detach: (() => void)[] = [() => (attached = false)];
  const push =
    platform.push && client.push ? new PushController(platform.push, client.push) : undefined;
  if (push) {
    void push.load();
    detach.push(() => push.close());
  }
  const { voice, resumeFiles } = halfSentFiles(
    new FileSender({ session, storage, messenger }),
    report,
    () => attached,
  );
  resumeFiles();
  // Attached after the catch-up: the chat views read it from storage.
  const chats = options.chats();
  if (chats) detach.push(chats.attach(messenger, contacts, new SpamReports(session)));
  const onStatus = (status: string) => {
    if (status === 'online') {
      report({ phase: 'online' });
      resumeFiles();
    } else if (status === 'disconnect' || status === 'offline' || status === 'connecting')
      report({ phase: 'offline' });
  };
  session.client.on('status', onStatus);
  detach.push(() => session.client.removeListener('status', onStatus));
  const onResumed = () => {
    report({ phase: 'online' });
    resumeFiles();
  };
  session.client.streamManagement.on('resumed', onResumed);
  detach.push(() => session.client.streamManagement.removeListener('resumed', onResumed));
  detach.push(
    messenger.subscribe((event) => {
      if (event.type === 'error') report({ error: event.error });
    }),
  );
  return { connection, push, voice, detach };
}

/**
 * Files a cut connection or a restart left half-sent go out when `resumeFiles` is called: at once,
 * and whenever the connection is back (a resumed stream or a new one). Never while a send is under
 * way: it would upload the same pending file a second time. Asked again while a pass runs (which
 * may still be waiting on a stream that has just been replaced), another pass follows it.
 */
function halfSentFiles(
  files: FileSender,
  report: ConnectOptions['report'],
  isAttached: () => boolean,
): { voice: VoiceSender; resumeFiles: () => void } {
  let sending = 0;
  let resuming = false;
  let again = false;
  const resumeFiles = () => {
    if (sending > 0) return;
    if (resuming) {
      again = true;
      return;
    }
    resuming = true;
    again = false;
    void files
      .resume()
      .then(({ failed }) => {
        const first = failed[0];
        if (first && !again) report({ error: first.error });
      })
      .finally(() => {
        resuming = false;
        if (again && isAttached()) resumeFiles();
      });
  };
  const sender = fileVoiceSender(files);
  const counted =
    <A extends unknown[]>(send: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      sending++;
      try {
        await send(...args);
      } finally {
        sending--;
      }
    };
  return {
    voice: { sendVoice: counted(sender.sendVoice), sendFile: counted(sender.sendFile) },
    resumeFiles,
  };
}
