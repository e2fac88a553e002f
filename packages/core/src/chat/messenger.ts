// The chat logic of one account: a plain class with a status, subscribe/getSnapshot for UIs (React
// binds it with useSyncExternalStore), and no knowledge of encryption beyond the EncryptionHook.
//
// Reliability rules (doc/design.md, "Messages are never lost"):
// - a message is stored, and its stanza put in the outbox, before anything is sent;
// - it leaves the outbox when the server acknowledges the stanza (XEP-0198 stream management) or the
//   peer confirms it (a receipt or a displayed marker), whichever comes first; a stanza whose stream
//   died unacknowledged stays and is sent again on the next connection, and everything left in the
//   outbox after a crash or restart is sent again by start();
// - everything outgoing goes through one queue, oldest first: what waited in the outbox leaves
//   before anything written later, so the server receives each device's messages in send order;
// - every new stream (not a resumed one) gets what a first start does: carbons, catch-up, presence;
//   live stanzas wait while a catch-up runs, so they are stored after the older ones it brings;
// - receivers deduplicate every copy (live, carbon, archive, resend) by origin-id and stanza-id, so
//   resending is always safe, and keep each sender's messages in arrival order even where delay
//   stamps (whole seconds) would sort them otherwise.
import xml, { type Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { HushError, isHushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { FileDescription, Storage, StoredMessage } from '../storage/types.ts';
import { buildChatMessage, buildChatState, buildDisplayed, buildReceipt } from './build.ts';
import { bareJid, parseIncoming, signalOf } from './parse.ts';
import { catchUpArchive } from './archive.ts';
import type { ChatState, EncryptionHook, ParsedChatMessage, ParsedIncoming } from './types.ts';
import { NS_CARBONS } from './namespaces.ts';
import { Redelivery } from './redelivery.ts';
import {
  describedElements,
  descriptionOf,
  readFileSharing,
  type SharedFile,
} from '../media/file-sharing.ts';

export type MessengerStatus = 'idle' | 'syncing' | 'ready' | 'closed';

/**
 * The stanzaXml of an outbox entry whose message was written while offline. Encryption needs the
 * peer's current devices and keys from the server, so the stanza is built, stored in the entry and
 * sent once a stream is up; until then the entry keeps the message pending and counted.
 */
export const AWAITING_ENCRYPTION = '';

/** Encryption refusals that waiting for a connection does not change: the message fails at once. */
const FINAL_REFUSALS = new Set(['NoOmemoDevice', 'NoTrustedDevice', 'UntrustedIdentity']);

/**
 * Stores an outgoing text message and queues it for encryption, with no connection at all (an app
 * started offline, before it has a Messenger): the account's next Messenger sends it, a file's
 * link with its description (`file`) beside it.
 */
export async function writeForLater(
  storage: Storage,
  message: {
    account: string;
    peer: string;
    body: string;
    id: string;
    timestamp: number;
    file?: FileDescription;
  },
  encrypted = true,
): Promise<StoredMessage> {
  const stored: StoredMessage = {
    id: message.id,
    account: bareJid(message.account),
    peer: bareJid(message.peer),
    direction: 'out',
    body: message.body,
    timestamp: message.timestamp,
    originId: message.id,
    state: 'pending',
    encrypted,
    ...(message.file ? { file: descriptionOf(message.file) } : {}),
  };
  await storage.messages.add(stored);
  await storage.outbox.put({
    id: stored.id,
    account: stored.account,
    messageId: stored.id,
    stanzaXml: AWAITING_ENCRYPTION,
    attempts: 0,
    createdAt: stored.timestamp,
  });
  return stored;
}

export type MessengerEvent =
  /** `file`: what a received file message's encrypted <file-sharing/> says (name, type, size). */
  | { readonly type: 'message'; readonly message: StoredMessage; readonly file?: SharedFile }
  | { readonly type: 'state'; readonly message: StoredMessage }
  /** XEP-0085: the peer is typing ('composing'), stopped ('paused'), or is here or gone. */
  | { readonly type: 'chat-state'; readonly peer: string; readonly state: ChatState }
  /** The peer's messages were read up to `upTo` (here, or on another device of the account). */
  | { readonly type: 'read'; readonly peer: string; readonly upTo: number }
  | { readonly type: 'status'; readonly status: MessengerStatus }
  /** The number of messages waiting in the outbox changed (getSnapshot().pending). */
  | { readonly type: 'pending'; readonly pending: number }
  | { readonly type: 'error'; readonly error: HushError };

export interface MessengerSnapshot {
  readonly status: MessengerStatus;
  /** Messages waiting in the outbox for the server's ack. */
  readonly pending: number;
}

export interface MessengerDeps {
  readonly session: XmppSession;
  readonly storage: Storage;
  /** Runs on every chat message out and in; without it, messages travel in plain text. */
  readonly encryption?: EncryptionHook;
  /** A fresh unique id; defaults to crypto.randomUUID where the platform has it. */
  readonly newId?: () => string;
  readonly now?: () => number;
  /** Extra children of every presence this device sends (XEP-0115 caps, so PEP pushes updates). */
  readonly presence?: readonly Element[];
  /** How long a peer's receipt may take before a message is sent again (redelivery.ts). */
  readonly redeliverAfterMs?: number;
}

function defaultId(): string {
  const randomUUID = globalThis.crypto?.randomUUID?.bind(globalThis.crypto);
  if (!randomUUID) throw new HushError('ProtocolError', 'No secure random source: inject newId.');
  return randomUUID();
}

export class Messenger {
  readonly account: string;
  private readonly session: XmppSession;
  private readonly storage: Storage;
  private readonly encryption: EncryptionHook | undefined;
  private readonly newId: () => string;
  private readonly now: () => number;
  private readonly presence: readonly Element[];
  private readonly listeners = new Set<(event: MessengerEvent) => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private snapshot: MessengerSnapshot = { status: 'idle', pending: 0 };
  private receiptsForArchive = false;
  /** Incoming stanzas (and catch-ups) are handled one at a time, in arrival order. */
  private incoming: Promise<void> = Promise.resolve();
  /** Outgoing messages and outbox resends, one at a time, oldest first. */
  private outgoing: Promise<void> = Promise.resolve();
  private readonly redelivery: Redelivery;
  /** Encrypted-only content of messages sent by this Messenger (a file's <file-sharing/>), by id. */
  private readonly extraContent = new Map<string, readonly Element[]>();

  constructor(deps: MessengerDeps) {
    this.session = deps.session;
    this.storage = deps.storage;
    this.encryption = deps.encryption;
    this.account = bareJid(deps.session.jid);
    this.newId = deps.newId ?? defaultId;
    this.now = deps.now ?? Date.now;
    this.presence = deps.presence ?? [];
    this.redelivery = new Redelivery({
      resend: (peer, id) =>
        void this.redeliver(peer, id).catch((error: unknown) => this.report(error)),
      ...(deps.redeliverAfterMs !== undefined ? { afterMs: deps.redeliverAfterMs } : {}),
      now: this.now,
    });
  }

  subscribe(listener: (event: MessengerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getSnapshot(): MessengerSnapshot {
    return this.snapshot;
  }

  /** Listens, resends whatever the outbox still holds, catches up and announces presence. */
  async start(): Promise<void> {
    const client = this.session.client;
    this.unsubscribe.push(
      this.session.onStanza((stanza) => {
        void this.inOrder(() => this.handleIncoming(stanza, 'live')).catch(() => undefined);
      }),
    );
    const onAck = (stanza: Element) =>
      void this.acknowledged(stanza).catch((error: unknown) => this.report(error));
    client.streamManagement.on('ack', onAck);
    this.unsubscribe.push(() => client.streamManagement.removeListener('ack', onAck));
    // A new stream (after a reconnect that could not resume: the server restarted, or kept the old
    // one too briefly) knows nothing of this client: everything a first start does, again.
    const onOnline = () => void this.begin().catch(() => undefined);
    client.on('online', onOnline);
    this.unsubscribe.push(() => client.removeListener('online', onOnline));
    // A resumed stream resends what the server had not acked, but not what failed to go out while
    // the socket was down: those are only in the outbox.
    const onResumed = () => void this.outbound(() => this.resendOutbox()).catch(() => undefined);
    client.streamManagement.on('resumed', onResumed);
    this.unsubscribe.push(() => client.streamManagement.removeListener('resumed', onResumed));
    await this.begin();
  }

  /**
   * What every new stream needs. The outbox goes first (ahead of anything written from now on);
   * the catch-up runs before presence, so Prosody leaves the messages that waited offline in the
   * archive instead of pushing each a second time, and a second pass after presence picks up what
   * arrived in between. Live stanzas wait in the incoming queue until both passes are done.
   */
  private async begin(): Promise<void> {
    const resent = this.outbound(() => this.resendOutbox());
    await this.inOrder(async () => {
      await this.enableCarbons();
      await this.sync();
      await this.session.send(xml('presence', {}, ...this.presence));
      await this.sync();
    });
    await resent;
  }

  /** Runs `task` after every incoming stanza and catch-up before it; reports its failure. */
  private inOrder(task: () => Promise<void>): Promise<void> {
    const run = this.incoming.then(task);
    this.incoming = run.catch((error: unknown) => this.report(error));
    return run;
  }

  /** Runs `task` after every outgoing message and resend before it; reports its failure. */
  private outbound<T>(task: () => Promise<T>): Promise<T> {
    const run = this.outgoing.then(task);
    this.outgoing = run.then(
      () => undefined,
      (error: unknown) => this.report(error),
    );
    return run;
  }

  async close(): Promise<void> {
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.redelivery.stop();
    await this.incoming;
    await this.outgoing;
    this.setStatus('closed');
  }

  /**
   * Stores, queues and sends a text message; resolves once it is stored (state 'pending').
   * `elements` travel beside the body only where the encryption carries them (EncryptionHook); they
   * are kept in memory, so a message encrypted after a restart goes with its body alone. `file`,
   * for a body that is a file's aesgcm:// link, is its description: stored with the message and
   * sent beside the link the same way (XEP-0447), also after a restart or a retry.
   */
  async sendText(
    peer: string,
    body: string,
    options: { id?: string; elements?: readonly Element[]; file?: FileDescription } = {},
  ): Promise<StoredMessage> {
    const id = options.id ?? this.newId();
    if (options.elements?.length) {
      this.extraContent.set(id, options.elements);
      const oldest = this.extraContent.keys().next().value;
      if (this.extraContent.size > 100 && oldest !== undefined) this.extraContent.delete(oldest);
    }
    const message: StoredMessage = {
      id,
      account: this.account,
      peer: bareJid(peer),
      direction: 'out',
      body,
      timestamp: this.now(),
      originId: id,
      state: 'pending',
      encrypted: this.encryption !== undefined,
      ...(options.file ? { file: descriptionOf(options.file) } : {}),
    };
    await this.storage.messages.add(message);
    this.emit({ type: 'message', message });
    await this.queue(message);
    return message;
  }

  /**
   * Sends a failed outgoing message again, with the same id (so a copy that did arrive after all is
   * deduplicated). Returns false when the message is not a failed outgoing one.
   */
  async retry(id: string): Promise<boolean> {
    const message = await this.storage.messages.get(this.account, id);
    if (message?.direction !== 'out' || message.state !== 'failed') return false;
    if (!(await this.storage.messages.updateState(this.account, id, 'pending'))) return false;
    const pending = (await this.storage.messages.get(this.account, id)) ?? message;
    this.emit({ type: 'state', message: pending });
    await this.queue(pending);
    return true;
  }

  /**
   * Sends again, oldest first, the messages to `peer` written in the last day that failed for want
   * of a device to encrypt for (the peer had no keys yet, or showed them to contacts only): called
   * when their devices appear. Returns how many went back to pending.
   */
  async retryUndeliverable(
    peer: string,
    codes: readonly string[] = ['NoOmemoDevice'],
  ): Promise<number> {
    const since = this.now() - 24 * 60 * 60 * 1000;
    const history = await this.storage.messages.history(this.account, bareJid(peer), {
      limit: 100,
    });
    let retried = 0;
    for (const message of history) {
      const failed = message.direction === 'out' && message.state === 'failed';
      if (!failed || message.timestamp < since || !codes.includes(message.failure?.code ?? ''))
        continue;
      if (await this.retry(message.id)) retried++;
    }
    return retried;
  }

  /** XEP-0085: tell the peer this person is typing, paused, or here. */
  async sendChatState(peer: string, state: ChatState): Promise<void> {
    await this.trySend(buildChatState(bareJid(peer), state));
  }

  /**
   * Encrypts (when a hook is set), puts the stanza in the outbox, and sends it, behind everything
   * queued before. Without a stream, or while older messages still wait to be encrypted, the
   * message waits in the outbox unencrypted (AWAITING_ENCRYPTION) and goes out with the next
   * resend, in the order it was written.
   */
  private queue(message: StoredMessage): Promise<void> {
    return this.outbound(() => this.queueNow(message));
  }

  private async queueNow(message: StoredMessage): Promise<void> {
    // A plain-text Messenger (tests, bots) never sends entries waiting for encryption, so it does
    // not wait behind them either.
    const behind = this.encryption !== undefined && this.online() && (await this.anyAwaiting());
    const built = this.online() && !behind ? await this.build(message) : 'later';
    if (built === 'failed') return;
    const createdAt = this.now();
    await this.storage.outbox.put({
      id: message.id,
      account: this.account,
      messageId: message.id,
      stanzaXml: built === 'later' ? AWAITING_ENCRYPTION : built.toString(),
      attempts: built === 'later' ? 0 : 1,
      createdAt,
    });
    await this.updatePending();
    if (built !== 'later') {
      await this.trySend(built);
      this.redelivery.noteSent(message.peer, message.id);
    } else if (behind) await this.resendOutbox();
  }

  private async anyAwaiting(): Promise<boolean> {
    const entries = await this.storage.outbox.list(this.account);
    return entries.some((entry) => entry.stanzaXml === AWAITING_ENCRYPTION);
  }

  /**
   * The message's stanza, encrypted when a hook is set; 'failed' when encryption refused it (the
   * message is marked failed: it is never sent in the clear), 'later' when the connection went
   * away while encrypting.
   */
  private async build(message: StoredMessage): Promise<Element | 'failed' | 'later'> {
    const { id, peer, body } = message;
    const stanza = buildChatMessage({ to: peer, id, body });
    if (!this.encryption) return stanza;
    try {
      const described = message.file ? describedElements(message.file, body) : [];
      const elements = this.extraContent.get(id) ?? (described.length ? described : undefined);
      return await this.encryption.encrypt({
        to: peer,
        body,
        stanza,
        ...(elements ? { elements } : {}),
      });
    } catch (error) {
      const failure = isHushError(error) ? error : new HushError('ProtocolError', String(error));
      if (!FINAL_REFUSALS.has(failure.code) && !this.online()) return 'later';
      await this.setState(id, 'failed', { code: failure.code, message: failure.message });
      return 'failed';
    }
  }

  private online(): boolean {
    return this.session.client.status === 'online';
  }

  /** Tells the peer everything up to now was seen (XEP-0333) and marks it read here. */
  async markDisplayed(peer: string): Promise<void> {
    const contact = bareJid(peer);
    const [last] = (await this.storage.messages.history(this.account, contact, { limit: 50 }))
      .filter((message) => message.direction === 'in' && message.originId !== undefined)
      .slice(-1);
    const upTo = this.now();
    await this.storage.messages.markRead(this.account, contact, upTo);
    this.emit({ type: 'read', peer: contact, upTo });
    if (last?.originId) await this.trySend(buildDisplayed(contact, last.originId));
  }

  /** XEP-0280: this device gets copies of what the account's other devices send and receive. */
  private async enableCarbons(): Promise<void> {
    try {
      await this.session.request(
        parse(`<iq xmlns='jabber:client' type='set'><enable xmlns='${NS_CARBONS}'/></iq>`),
      );
    } catch (error) {
      this.report(
        new HushError(
          'ProtocolError',
          'The server does not copy messages to other devices (carbons).',
          { cause: error },
        ),
      );
    }
  }

  private async sync(): Promise<void> {
    this.setStatus('syncing');
    const stored = (await this.storage.accounts.get(this.account)) ?? {
      jid: this.account,
      service: this.session.client.options.service,
      resource: this.session.jid.slice(this.session.jid.indexOf('/') + 1),
    };
    // A device's very first catch-up is old history: no receipts for it. Later catch-ups bring what
    // arrived while this device was away, and the sender learns it was delivered.
    this.receiptsForArchive = stored.mamLastStanzaId !== undefined;
    const last = await catchUpArchive(this.session, {
      ...(stored?.mamLastStanzaId ? { after: stored.mamLastStanzaId } : {}),
      onPage: async (page) => {
        for (const stanza of page.messages) await this.handleIncoming(stanza, 'archive');
        if (page.last && stored)
          await this.storage.accounts.put({ ...stored, mamLastStanzaId: page.last });
      },
    });
    // An empty archive leaves no id to resume from; '' still records that this device has caught
    // up once, so what arrives from now on counts as new (and gets receipts).
    await this.storage.accounts.put({
      ...stored,
      mamLastStanzaId: last ?? stored.mamLastStanzaId ?? '',
    });
    this.setStatus('ready');
  }

  /**
   * Sends every stanza still waiting for the server's ack again (receivers deduplicate), and
   * encrypts and sends what was written while offline.
   */
  private async resendOutbox(): Promise<void> {
    for (const entry of await this.storage.outbox.list(this.account)) {
      if (entry.stanzaXml === AWAITING_ENCRYPTION) {
        await this.sendWritten(entry.id, entry.messageId);
        continue;
      }
      // The peer already confirmed it (the receipt came, the ack did not): sending it again would
      // show it twice in clients that do not deduplicate.
      const message = await this.storage.messages.get(this.account, entry.messageId);
      if (message?.state === 'delivered' || message?.state === 'read') {
        await this.storage.outbox.remove(this.account, entry.id);
        continue;
      }
      if (!this.online()) break;
      await this.storage.outbox.update(this.account, entry.id, { attempts: entry.attempts + 1 });
      await this.trySend(parse(entry.stanzaXml));
    }
    await this.updatePending();
  }

  /** Entries being encrypted now: a second resend (online and resumed at once) leaves them be. */
  private readonly encrypting = new Set<string>();

  private async sendWritten(entryId: string, messageId: string): Promise<void> {
    if (this.encrypting.has(entryId) || !this.online()) return;
    this.encrypting.add(entryId);
    try {
      const message = await this.storage.messages.get(this.account, messageId);
      if (message?.direction !== 'out' || message.state !== 'pending') {
        await this.storage.outbox.remove(this.account, entryId);
        return;
      }
      // Written to be encrypted: a Messenger without encryption leaves it for one with it, never
      // sends it in the clear.
      if (message.encrypted && !this.encryption) return;
      const built = await this.build(message);
      if (built === 'later') return;
      if (built === 'failed') {
        await this.storage.outbox.remove(this.account, entryId);
        return;
      }
      const changes = { stanzaXml: built.toString(), attempts: 1 };
      if (await this.storage.outbox.update(this.account, entryId, changes)) {
        await this.trySend(built);
      }
    } finally {
      this.encrypting.delete(entryId);
    }
  }

  private async trySend(stanza: Element): Promise<void> {
    try {
      await this.session.send(stanza);
    } catch {
      // The stanza stays in the outbox; the next connection sends it again.
    }
  }

  /** Stream management acked a stanza: if it carried a message, that message reached the server. */
  private async acknowledged(stanza: Element): Promise<void> {
    const id = stanza.attrs.id;
    if (!stanza.is('message') || !id) return;
    if (await this.storage.outbox.remove(this.account, id)) {
      await this.setState(id, 'sent');
      await this.updatePending();
      if (stanza.attrs.to) this.redelivery.noteSent(bareJid(stanza.attrs.to), id);
    }
  }

  /**
   * Sends again, with the same id, a message the peer never confirmed (redelivery.ts): the stanza
   * still in the outbox (no ack came either), or else the message encrypted anew; it waits in the
   * outbox for the new ack like any other. Without a stream it waits for one.
   */
  private redeliver(peer: string, id: string): Promise<void> {
    return this.outbound(async () => {
      const message = await this.storage.messages.get(this.account, id);
      if (message?.direction !== 'out' || (message.state !== 'sent' && message.state !== 'pending'))
        return;
      if (!this.online()) return this.redelivery.putBack(peer, id);
      const entry = (await this.storage.outbox.list(this.account)).find((e) => e.id === id);
      if (entry) {
        if (entry.stanzaXml !== AWAITING_ENCRYPTION) await this.trySend(parse(entry.stanzaXml));
        return;
      }
      if (message.state !== 'sent') return;
      const built = await this.build(message);
      if (built === 'failed') return;
      if (built === 'later') return this.redelivery.putBack(peer, id);
      const createdAt = this.now();
      await this.storage.outbox.put({
        id,
        account: this.account,
        messageId: id,
        stanzaXml: built.toString(),
        attempts: 1,
        createdAt,
      });
      await this.updatePending();
      await this.trySend(built);
    });
  }

  private async handleIncoming(stanza: Element, expected: 'live' | 'archive'): Promise<void> {
    const parsed = parseIncoming(stanza, this.account);
    if (!parsed) return;
    if (expected === 'live' && parsed.kind === 'chat' && parsed.source === 'archive') return; // handled by sync
    return this.dispatch(parsed);
  }

  private async dispatch(parsed: ParsedIncoming): Promise<void> {
    switch (parsed.kind) {
      case 'chat':
        return this.receiveChat(parsed);
      case 'receipt':
      case 'displayed': {
        const message = await this.storage.messages.findByOriginId(
          this.account,
          parsed.peer,
          parsed.id,
        );
        if (parsed.direction === 'in' && message?.direction === 'out') {
          await this.setState(message.id, parsed.kind === 'receipt' ? 'delivered' : 'read');
          this.redelivery.noteConfirmed(message.peer, message.id);
          // Proof of delivery: the message leaves the outbox even if the server's ack is lost.
          if (await this.storage.outbox.remove(this.account, message.id))
            await this.updatePending();
        } else if (
          parsed.kind === 'displayed' &&
          parsed.direction === 'out' &&
          message?.direction === 'in'
        ) {
          // Read on another device of this account: the unread count clears here too.
          await this.storage.messages.markRead(this.account, parsed.peer, message.timestamp);
          this.emit({ type: 'read', peer: parsed.peer, upTo: message.timestamp });
        }
        return;
      }
      case 'error': {
        if (!parsed.id) return;
        const message = await this.storage.messages.findByOriginId(
          this.account,
          parsed.peer,
          parsed.id,
        );
        if (message?.direction === 'out') {
          // The server has it and answered: nothing to resend, and its ack (which can come after
          // the bounce) must not turn the failure into 'sent'.
          if (await this.storage.outbox.remove(this.account, message.id))
            await this.updatePending();
          await this.setState(message.id, 'failed', {
            code: parsed.condition,
            message: parsed.text ?? `The server could not deliver it (${parsed.condition}).`,
          });
        }
        return;
      }
      case 'chat-state':
        // Live only, from the peer (parse drops copies and the account's own): nothing is stored.
        this.emit({ type: 'chat-state', peer: parsed.peer, state: parsed.state });
        return;
    }
  }

  /**
   * Stores a received chat message. What decrypting it changed (the Signal session) is kept only
   * once the message is stored: a process that dies in between decrypts it again from the archive.
   */
  private async receiveChat(parsed: ParsedChatMessage): Promise<void> {
    let stored = false;
    try {
      await this.decryptAndStore(parsed);
      stored = true;
    } finally {
      await this.encryption?.settle?.(stored);
    }
  }

  private async decryptAndStore(parsed: ParsedChatMessage): Promise<void> {
    let body = parsed.body;
    let encrypted = false;
    let failure: HushError | undefined;
    let warning: HushError | undefined;
    let file: SharedFile | undefined;
    if (this.encryption) {
      // A copy of a message already stored is not decrypted again: a Signal message decrypts once
      // (its key is gone afterwards), and a PreKey message seen live and again from the archive
      // would otherwise look broken and trigger a needless session repair.
      if (await this.alreadyStored(parsed)) {
        // Confirmed again: the sender sends a copy when no receipt came, and the first may be
        // what was lost (chat/redelivery.ts).
        if (
          parsed.direction === 'in' &&
          parsed.requestsReceipt &&
          parsed.source === 'live' &&
          parsed.id
        )
          await this.trySend(buildReceipt(parsed.peer, parsed.id));
        return;
      }
      const result = await this.encryption.decrypt(parsed, { hold: true });
      encrypted = result.encrypted;
      if ('ignore' in result && result.ignore === 'duplicate') {
        // Decrypted here before, yet not stored (checked above), with the key spent: a storage
        // that failed after the session was kept. The message is kept, saying so, never dropped
        // in silence.
        failure = new HushError(
          'Undecryptable',
          'This message reached this device before but was not saved; ask the sender to send it again.',
        );
        body = undefined;
      } else if ('ignore' in result) return;
      // An undecryptable message keeps no body: the clear-text one is only the fallback notice.
      else if ('error' in result) {
        failure = result.error;
        body = undefined;
      } else {
        body = result.body;
        warning = 'warning' in result ? result.warning : undefined;
        // A file's description that does not hold is reported, and the message keeps its body; one
        // that holds may give the body its link (other clients put only a fallback text there).
        const elements = 'elements' in result ? result.elements : undefined;
        // Without a body, an encrypted message may carry only a receipt, a read marker or a chat
        // state (Converse.js sends them inside OMEMO 2): those are handled as such, nothing stored.
        const signal = body === '' && elements ? signalOf(elements, parsed) : null;
        if (signal) return this.dispatch(signal);
        const shared = readFileSharing(elements, body);
        if ('error' in shared) this.emit({ type: 'error', error: shared.error });
        else if ('file' in shared) ({ file, body } = shared);
      }
    }
    if (body === undefined && !failure) return; // nothing to show (e.g. a key-transport message)
    const note = failure ?? warning;
    const id = parsed.direction === 'out' && parsed.originId ? parsed.originId : this.newId();
    const timestamp = await this.arrivalTimestamp(parsed);
    const message: StoredMessage = {
      id,
      account: this.account,
      peer: parsed.peer,
      direction: parsed.direction,
      body: body ?? '',
      timestamp,
      ...(parsed.originId ? { originId: parsed.originId } : {}),
      ...(parsed.stanzaId ? { stanzaId: parsed.stanzaId } : {}),
      state: failure ? 'undecryptable' : parsed.direction === 'out' ? 'sent' : 'received',
      // An undecryptable message says why; a readable one from a refused device says that.
      ...(note ? { failure: { code: note.code, message: note.message } } : {}),
      encrypted,
      // What the sender said of the file is kept as privately as the body: on this device only.
      ...(file ? { file: descriptionOf(file) } : {}),
    };
    const { stored, duplicate } = await this.storage.messages.add(message);
    if (!duplicate) this.emit({ type: 'message', message: stored, ...(file ? { file } : {}) });
    // One receipt, for the first copy this device stores, live or from a catch-up (not from a new
    // device's first history download, which would flood senders with receipts for old messages).
    const receiptDue =
      parsed.source === 'live' || (parsed.source === 'archive' && this.receiptsForArchive);
    // No receipt for a message that could not be decrypted: the sender keeps seeing it as not
    // delivered, which is the truth about its content.
    if (
      !duplicate &&
      !failure &&
      parsed.direction === 'in' &&
      parsed.requestsReceipt &&
      receiptDue &&
      parsed.id
    ) {
      await this.trySend(buildReceipt(parsed.peer, parsed.id));
    }
  }

  /**
   * The time a received message is stored under. History sorts by time, and a sender's messages
   * reach this device in their send order (the server keeps each stream's order; senders resend
   * oldest first), but their stamps do not always agree: a copy the sender's client or the server
   * held back during a reconnect carries a delay stamp in whole seconds, older than a message
   * received live just before it. Such a message is stored at the time of the sender's previous
   * message here (insertion order then breaks the tie), never earlier; a stamp from the future
   * (a sender's clock ahead) counts as now.
   */
  private async arrivalTimestamp(parsed: ParsedChatMessage): Promise<number> {
    const now = this.now();
    const stamped = Math.min(parsed.timestamp ?? now, now);
    const recent = await this.storage.messages.history(this.account, parsed.peer, { limit: 20 });
    const previous = recent.findLast((message) => message.direction === parsed.direction);
    return previous && previous.timestamp > stamped ? previous.timestamp : stamped;
  }

  private async alreadyStored(parsed: ParsedChatMessage): Promise<boolean> {
    if (
      parsed.stanzaId &&
      (await this.storage.messages.findByStanzaId(this.account, parsed.stanzaId))
    )
      return true;
    if (!parsed.originId) return false;
    const known = await this.storage.messages.findByOriginId(
      this.account,
      parsed.peer,
      parsed.originId,
    );
    // An outgoing copy matches a message this device sent (its id is the origin-id); an incoming one
    // matches a copy of the same message from the same peer.
    if (known?.direction !== parsed.direction) return false;
    if (parsed.stanzaId && !known.stanzaId)
      await this.storage.messages.setStanzaId(this.account, known.id, parsed.stanzaId);
    return true;
  }

  private async setState(
    id: string,
    state: StoredMessage['state'],
    failure?: { code: string; message: string },
  ): Promise<void> {
    if (await this.storage.messages.updateState(this.account, id, state, failure)) {
      const message = await this.storage.messages.get(this.account, id);
      if (message) this.emit({ type: 'state', message });
    }
  }

  private async updatePending(): Promise<void> {
    const pending = (await this.storage.outbox.list(this.account)).length;
    if (pending === this.snapshot.pending) return;
    this.snapshot = { ...this.snapshot, pending };
    this.emit({ type: 'pending', pending });
  }

  private setStatus(status: MessengerStatus): void {
    if (status === this.snapshot.status) return;
    this.snapshot = { ...this.snapshot, status };
    this.emit({ type: 'status', status });
  }

  private report(error: unknown): void {
    this.emit({
      type: 'error',
      error: isHushError(error)
        ? error
        : new HushError('ProtocolError', String(error), { cause: error }),
    });
  }

  private emit(event: MessengerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
