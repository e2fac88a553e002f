// The chat logic of one account: a plain class with a status, subscribe/getSnapshot for UIs (React
// binds it with useSyncExternalStore), and no knowledge of encryption beyond the EncryptionHook.
// This file is its public face and wiring: what a new stream needs, in order, and what the person
// does (send, retry, read, type). The jobs behind it have a file each: outbox-sender.ts (everything
// outgoing), receive.ts (everything incoming), write-later.ts (what an outgoing message is stored
// as), events.ts (what subscribers hear).
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
import { HushError, isHushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { FileDescription, Storage, StoredMessage } from '../storage/types.ts';
import { buildChatState, buildDisplayed } from './build.ts';
import { bareJid } from './parse.ts';
import type { ChatState, EncryptionHook } from './types.ts';
import type { MessengerEvent, MessengerSnapshot, MessengerStatus } from './events.ts';
import { OutboxSender, trySend } from './outbox-sender.ts';
import { Receiver } from './receive.ts';
import { pendingMessage } from './write-later.ts';

export type { MessengerEvent, MessengerSnapshot, MessengerStatus } from './events.ts';
export { AWAITING_ENCRYPTION, writeForLater } from './write-later.ts';

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
  readonly #session: XmppSession;
  readonly #storage: Storage;
  readonly #encrypted: boolean;
  readonly #newId: () => string;
  readonly #now: () => number;
  readonly #presence: readonly Element[];
  readonly #listeners = new Set<(event: MessengerEvent) => void>();
  readonly #unsubscribe: (() => void)[] = [];
  #snapshot: MessengerSnapshot = { status: 'idle', pending: 0 };
  readonly #outbox: OutboxSender;
  readonly #receiver: Receiver;

  constructor(deps: MessengerDeps) {
    this.#session = deps.session;
    this.#storage = deps.storage;
    this.#encrypted = deps.encryption !== undefined;
    this.account = bareJid(deps.session.jid);
    this.#newId = deps.newId ?? defaultId;
    this.#now = deps.now ?? Date.now;
    this.#presence = deps.presence ?? [];
    const shared = {
      session: deps.session,
      storage: deps.storage,
      account: this.account,
      encryption: deps.encryption,
      now: this.#now,
      setState: this.#setState.bind(this),
      report: this.#report.bind(this),
    };
    this.#outbox = new OutboxSender({
      ...shared,
      onPending: (pending) => this.#setPending(pending),
      ...(deps.redeliverAfterMs !== undefined ? { redeliverAfterMs: deps.redeliverAfterMs } : {}),
    });
    this.#receiver = new Receiver({
      ...shared,
      newId: this.#newId,
      emit: this.#emit.bind(this),
      outbox: this.#outbox,
      send: (stanza) => trySend(this.#session, stanza),
      onSync: (status) => this.#setStatus(status),
    });
  }

  subscribe(listener: (event: MessengerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  getSnapshot(): MessengerSnapshot {
    return this.#snapshot;
  }

  /** Listens, resends whatever the outbox still holds, catches up and announces presence. */
  async start(): Promise<void> {
    const client = this.#session.client;
    this.#unsubscribe.push(this.#session.onStanza((stanza) => this.#receiver.live(stanza)));
    const onAck = (stanza: Element) =>
      void this.#outbox.acknowledged(stanza).catch((error: unknown) => this.#report(error));
    client.streamManagement.on('ack', onAck);
    this.#unsubscribe.push(() => client.streamManagement.removeListener('ack', onAck));
    // A new stream (after a reconnect that could not resume: the server restarted, or kept the old
    // one too briefly) knows nothing of this client: everything a first start does, again.
    const onOnline = () => void this.#begin().catch(() => undefined);
    client.on('online', onOnline);
    this.#unsubscribe.push(() => client.removeListener('online', onOnline));
    // A resumed stream resends what the server had not acked, but not what failed to go out while
    // the socket was down: those are only in the outbox.
    const onResumed = () => void this.#outbox.resend().catch(() => undefined);
    client.streamManagement.on('resumed', onResumed);
    this.#unsubscribe.push(() => client.streamManagement.removeListener('resumed', onResumed));
    await this.#begin();
  }

  /**
   * What every new stream needs. The outbox goes first (ahead of anything written from now on);
   * the catch-up runs before presence, so Prosody leaves the messages that waited offline in the
   * archive instead of pushing each a second time, and a second pass after presence picks up what
   * arrived in between. Live stanzas wait in the incoming queue until both passes are done.
   */
  async #begin(): Promise<void> {
    const resent = this.#outbox.resend();
    await this.#receiver.inOrder(async () => {
      await this.#receiver.enableCarbons();
      await this.#receiver.catchUp();
      await this.#session.send(xml('presence', {}, ...this.#presence));
      await this.#receiver.catchUp();
    });
    await resent;
  }

  async close(): Promise<void> {
    for (const stop of this.#unsubscribe.splice(0)) stop();
    this.#outbox.stop();
    await this.#receiver.idle();
    await this.#outbox.idle();
    this.#setStatus('closed');
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
    const id = options.id ?? this.#newId();
    if (options.elements?.length) this.#outbox.rememberElements(id, options.elements);
    const message = pendingMessage(
      {
        account: this.account,
        peer,
        body,
        id,
        timestamp: this.#now(),
        ...(options.file ? { file: options.file } : {}),
      },
      this.#encrypted,
    );
    await this.#storage.messages.add(message);
    this.#emit({ type: 'message', message });
    await this.#outbox.queue(message);
    return message;
  }

  /**
   * Sends a failed outgoing message again, with the same id (so a copy that did arrive after all is
   * deduplicated). Returns false when the message is not a failed outgoing one.
   */
  async retry(id: string): Promise<boolean> {
    const message = await this.#storage.messages.get(this.account, id);
    if (message?.direction !== 'out' || message.state !== 'failed') return false;
    if (!(await this.#storage.messages.updateState(this.account, id, 'pending'))) return false;
    const pending = (await this.#storage.messages.get(this.account, id)) ?? message;
    this.#emit({ type: 'state', message: pending });
    await this.#outbox.queue(pending);
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
    const since = this.#now() - 24 * 60 * 60 * 1000;
    const history = await this.#storage.messages.history(this.account, bareJid(peer), {
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
    await trySend(this.#session, buildChatState(bareJid(peer), state));
  }

  /** Tells the peer everything up to now was seen (XEP-0333) and marks it read here. */
  async markDisplayed(peer: string): Promise<void> {
    const contact = bareJid(peer);
    const [last] = (await this.#storage.messages.history(this.account, contact, { limit: 50 }))
      .filter((message) => message.direction === 'in' && message.originId !== undefined)
      .slice(-1);
    const upTo = this.#now();
    await this.#storage.messages.markRead(this.account, contact, upTo);
    this.#emit({ type: 'read', peer: contact, upTo });
    if (last?.originId) await trySend(this.#session, buildDisplayed(contact, last.originId));
  }

  async #setState(
    id: string,
    state: StoredMessage['state'],
    failure?: { code: string; message: string },
  ): Promise<void> {
    if (await this.#storage.messages.updateState(this.account, id, state, failure)) {
      const message = await this.#storage.messages.get(this.account, id);
      if (message) this.#emit({ type: 'state', message });
    }
  }

  #setPending(pending: number): void {
    if (pending === this.#snapshot.pending) return;
    this.#snapshot = { ...this.#snapshot, pending };
    this.#emit({ type: 'pending', pending });
  }

  #setStatus(status: MessengerStatus): void {
    if (status === this.#snapshot.status) return;
    this.#snapshot = { ...this.#snapshot, status };
    this.#emit({ type: 'status', status });
  }

  #report(error: unknown): void {
    this.#emit({
      type: 'error',
      error: isHushError(error)
        ? error
        : new HushError('ProtocolError', String(error), { cause: error }),
    });
  }

  #emit(event: MessengerEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
