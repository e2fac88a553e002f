// Everything outgoing, through one queue, oldest first: a message is encrypted (when a hook is set),
// put in the outbox and sent; the outbox is sent again on every new or resumed stream; an entry
// leaves it on the server's ack (XEP-0198) or the peer's receipt or marker; a message the peer never
// confirmed goes once more (redelivery.ts). It counts what waits in the outbox for the Messenger's
// snapshot.
import type { Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { HushError, isHushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { Storage, StoredMessage } from '../storage/types.ts';
import { describedElements } from '../media/file-sharing.ts';
import { buildChatMessage } from './build.ts';
import { bareJid } from './parse.ts';
import { Redelivery } from './redelivery.ts';
import type { SetMessageState } from './events.ts';
import type { EncryptionHook } from './types.ts';
import { AWAITING_ENCRYPTION, outboxEntry } from './write-later.ts';

/** Encryption refusals that waiting for a connection does not change: the message fails at once. */
const FINAL_REFUSALS = new Set(['NoOmemoDevice', 'NoTrustedDevice', 'UntrustedIdentity']);

/**
 * Sends a stanza if the stream takes it. A failure is not an error: an outbox entry stays and the
 * next connection sends it again; receipts, markers and chat states are worth no more than a try.
 */
export async function trySend(session: XmppSession, stanza: Element): Promise<void> {
  try {
    await session.send(stanza);
  } catch {
    // The stanza stays in the outbox; the next connection sends it again.
  }
}

export interface OutboxSenderDeps {
  readonly session: XmppSession;
  readonly storage: Storage;
  /** The account's bare JID. */
  readonly account: string;
  readonly encryption: EncryptionHook | undefined;
  readonly now: () => number;
  readonly setState: SetMessageState;
  /** The number of entries in the outbox, after a change (it may be the same as before). */
  readonly onPending: (pending: number) => void;
  readonly report: (error: unknown) => void;
  /** How long a peer's receipt may take before a message is sent again (redelivery.ts). */
  readonly redeliverAfterMs?: number;
}

export class OutboxSender {
  readonly #deps: OutboxSenderDeps;
  readonly #account: string;
  /** Outgoing messages and outbox resends, one at a time, oldest first. */
  #outgoing: Promise<void> = Promise.resolve();
  readonly #redelivery: Redelivery;
  /** Encrypted-only content of messages sent by this Messenger (a file's <file-sharing/>), by id. */
  readonly #extraContent = new Map<string, readonly Element[]>();
  /** Entries being encrypted now: a second resend (online and resumed at once) leaves them be. */
  readonly #encrypting = new Set<string>();
  /** Counts of the outbox asked for so far, and the latest of them told (see countPending). */
  #pendingAsked = 0;
  #pendingTold = 0;

  constructor(deps: OutboxSenderDeps) {
    this.#deps = deps;
    this.#account = deps.account;
    this.#redelivery = new Redelivery({
      resend: (peer, id) =>
        void this.#redeliver(peer, id).catch((error: unknown) => deps.report(error)),
      ...(deps.redeliverAfterMs !== undefined ? { afterMs: deps.redeliverAfterMs } : {}),
      now: deps.now,
    });
  }

  /**
   * Keeps `elements` to travel beside message `id`'s body where the encryption carries them
   * (EncryptionHook). They stay in memory only, the latest hundred.
   */
  rememberElements(id: string, elements: readonly Element[]): void {
    this.#extraContent.set(id, elements);
    const oldest = this.#extraContent.keys().next().value;
    if (this.#extraContent.size > 100 && oldest !== undefined) this.#extraContent.delete(oldest);
  }

  /**
   * Encrypts (when a hook is set), puts the stanza in the outbox, and sends it, behind everything
   * queued before. Without a stream, or while older messages still wait to be encrypted, the
   * message waits in the outbox unencrypted (AWAITING_ENCRYPTION) and goes out with the next
   * resend, in the order it was written.
   */
  queue(message: StoredMessage): Promise<void> {
    return this.#outbound(() => this.#queueNow(message));
  }

  /** Sends the outbox again, behind whatever is queued (a new or resumed stream). */
  resend(): Promise<void> {
    return this.#outbound(() => this.#resendOutbox());
  }

  /** Stream management acked a stanza: if it carried a message, that message reached the server. */
  async acknowledged(stanza: Element): Promise<void> {
    const id = stanza.attrs.id;
    if (!stanza.is('message') || !id) return;
    if (await this.#deps.storage.outbox.remove(this.#account, id)) {
      await this.#deps.setState(id, 'sent');
      await this.#countPending();
      if (stanza.attrs.to) this.#redelivery.noteSent(bareJid(stanza.attrs.to), id);
    }
  }

  /**
   * The peer confirmed `message` (a receipt or a displayed marker): earlier ones it did not confirm
   * go again, and, as proof of delivery, it leaves the outbox even if the server's ack is lost.
   */
  async confirmed(message: StoredMessage): Promise<void> {
    this.#redelivery.noteConfirmed(message.peer, message.id);
    await this.remove(message.id);
  }

  /** Message `id` needs no sending any more (the server bounced it): out of the outbox. */
  async remove(id: string): Promise<void> {
    if (await this.#deps.storage.outbox.remove(this.#account, id)) await this.#countPending();
  }

  /** Resolves once everything queued so far has run (its failures were reported). */
  idle(): Promise<void> {
    return this.#outgoing;
  }

  stop(): void {
    this.#redelivery.stop();
  }

  /** Runs `task` after every outgoing message and resend before it; reports its failure. */
  #outbound<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#outgoing.then(task);
    this.#outgoing = run.then(
      () => undefined,
      (error: unknown) => this.#deps.report(error),
    );
    return run;
  }

  async #queueNow(message: StoredMessage): Promise<void> {
    // A plain-text Messenger (tests, bots) never sends entries waiting for encryption, so it does
    // not wait behind them either.
    const behind =
      this.#deps.encryption !== undefined && this.#online() && (await this.#anyAwaiting());
    const built = this.#online() && !behind ? await this.#build(message) : 'later';
    if (built === 'failed') return;
    const stanzaXml = built === 'later' ? AWAITING_ENCRYPTION : built.toString();
    await this.#deps.storage.outbox.put(
      outboxEntry(this.#account, message.id, stanzaXml, this.#deps.now()),
    );
    await this.#countPending();
    if (built !== 'later') {
      await trySend(this.#deps.session, built);
      this.#redelivery.noteSent(message.peer, message.id);
    } else if (behind) await this.#resendOutbox();
  }

  async #anyAwaiting(): Promise<boolean> {
    const entries = await this.#deps.storage.outbox.list(this.#account);
    return entries.some((entry) => entry.stanzaXml === AWAITING_ENCRYPTION);
  }

  /**
   * The message's stanza, encrypted when a hook is set; 'failed' when encryption refused it (the
   * message is marked failed: it is never sent in the clear), 'later' when the connection went
   * away while encrypting.
   */
  async #build(message: StoredMessage): Promise<Element | 'failed' | 'later'> {
    const { id, peer, body } = message;
    const stanza = buildChatMessage({ to: peer, id, body });
    const { encryption } = this.#deps;
    if (!encryption) return stanza;
    try {
      const described = message.file ? describedElements(message.file, body) : [];
      const elements = this.#extraContent.get(id) ?? (described.length ? described : undefined);
      return await encryption.encrypt({
        to: peer,
        body,
        stanza,
        ...(elements ? { elements } : {}),
      });
    } catch (error) {
      const failure = isHushError(error) ? error : new HushError('ProtocolError', String(error));
      if (!FINAL_REFUSALS.has(failure.code) && !this.#online()) return 'later';
      await this.#deps.setState(id, 'failed', { code: failure.code, message: failure.message });
      return 'failed';
    }
  }

  #online(): boolean {
    return this.#deps.session.client.status === 'online';
  }

  /**
   * Sends every stanza still waiting for the server's ack again (receivers deduplicate), and
   * encrypts and sends what was written while offline.
   */
  async #resendOutbox(): Promise<void> {
    const { storage } = this.#deps;
    // Counted however the pass ends: entries it removed before a failure are gone all the same.
    try {
      for (const entry of await storage.outbox.list(this.#account)) {
        if (entry.stanzaXml === AWAITING_ENCRYPTION) {
          await this.#sendWritten(entry.id, entry.messageId);
          continue;
        }
        // The peer already confirmed it (the receipt came, the ack did not): sending it again
        // would show it twice in clients that do not deduplicate.
        const message = await storage.messages.get(this.#account, entry.messageId);
        if (message?.state === 'delivered' || message?.state === 'read') {
          await storage.outbox.remove(this.#account, entry.id);
          continue;
        }
        if (!this.#online()) break;
        const stanza = storedStanza(entry.stanzaXml);
        if (!stanza) {
          // A stored stanza that no longer reads whole (a damaged record) is built again from its
          // message, as one written offline is: it must neither stop the entries behind it nor go
          // out cut short.
          await storage.outbox.update(this.#account, entry.id, { stanzaXml: AWAITING_ENCRYPTION });
          await this.#sendWritten(entry.id, entry.messageId);
          continue;
        }
        await storage.outbox.update(this.#account, entry.id, { attempts: entry.attempts + 1 });
        await trySend(this.#deps.session, stanza);
      }
    } finally {
      await this.#countPending();
    }
  }

  async #sendWritten(entryId: string, messageId: string): Promise<void> {
    if (this.#encrypting.has(entryId) || !this.#online()) return;
    const { storage } = this.#deps;
    this.#encrypting.add(entryId);
    try {
      const message = await storage.messages.get(this.#account, messageId);
      if (message?.direction !== 'out' || message.state !== 'pending') {
        await storage.outbox.remove(this.#account, entryId);
        return;
      }
      // Written to be encrypted: a Messenger without encryption leaves it for one with it, never
      // sends it in the clear.
      if (message.encrypted && !this.#deps.encryption) return;
      const built = await this.#build(message);
      if (built === 'later') return;
      if (built === 'failed') {
        await storage.outbox.remove(this.#account, entryId);
        return;
      }
      const changes = { stanzaXml: built.toString(), attempts: 1 };
      if (await storage.outbox.update(this.#account, entryId, changes)) {
        await trySend(this.#deps.session, built);
      }
    } finally {
      this.#encrypting.delete(entryId);
    }
  }

  /**
   * Sends again, with the same id, a message the peer never confirmed (redelivery.ts): the stanza
   * still in the outbox (no ack came either), or else the message encrypted anew; it waits in the
   * outbox for the new ack like any other. Without a stream it waits for one.
   */
  #redeliver(peer: string, id: string): Promise<void> {
    return this.#outbound(async () => {
      const { storage } = this.#deps;
      const message = await storage.messages.get(this.#account, id);
      if (message?.direction !== 'out' || (message.state !== 'sent' && message.state !== 'pending'))
        return;
      if (!this.#online()) return this.#redelivery.putBack(peer, id);
      const entry = (await storage.outbox.list(this.#account)).find((e) => e.id === id);
      if (entry) {
        if (entry.stanzaXml !== AWAITING_ENCRYPTION)
          await trySend(this.#deps.session, parse(entry.stanzaXml));
        return;
      }
      if (message.state !== 'sent') return;
      const built = await this.#build(message);
      if (built === 'failed') return;
      if (built === 'later') return this.#redelivery.putBack(peer, id);
      await storage.outbox.put(outboxEntry(this.#account, id, built.toString(), this.#deps.now()));
      await this.#countPending();
      await trySend(this.#deps.session, built);
    });
  }

  /**
   * Tells onPending how many entries the outbox holds. Counts asked for at once can answer out of
   * order (a storage that reads in parallel): an answer older than one already told is dropped, so
   * a stale count never overwrites a newer one.
   */
  async #countPending(): Promise<void> {
    const asked = ++this.#pendingAsked;
    const pending = (await this.#deps.storage.outbox.list(this.#account)).length;
    if (asked < this.#pendingTold) return;
    this.#pendingTold = asked;
    this.#deps.onPending(pending);
  }
}

/**
 * The message stanza an outbox entry holds, or undefined when the record no longer reads whole: the
 * parser returns nothing for what is not XML and closes what is cut short, so a stanza counts only
 * when it is a message that serializes back to exactly what was stored (as everything Hush stores
 * does).
 */
function storedStanza(stanzaXml: string): Element | undefined {
  let stanza: Element | undefined;
  try {
    stanza = parse(stanzaXml) as Element | undefined;
  } catch {
    return undefined;
  }
  return stanza?.is('message') && stanza.toString() === stanzaXml ? stanza : undefined;
}
