// Everything incoming, one stanza at a time in arrival order: live stanzas, carbons (XEP-0280) and
// the archive catch-up (XEP-0313). A chat message is decrypted (when a hook is set), deduplicated by
// origin-id and stanza-id, stored in its sender's order and answered with a receipt (XEP-0184);
// receipts, markers and bounces move the state of what this device sent; chat states are passed on.
import parse from '@xmpp/xml/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import type { Storage, StoredMessage } from '../storage/types.ts';
import { descriptionOf, readFileSharing, type SharedFile } from '../media/file-sharing.ts';
import { catchUpArchive } from './archive.ts';
import { buildReceipt } from './build.ts';
import { NS_CARBONS } from './namespaces.ts';
import { parseIncoming, signalOf } from './parse.ts';
import type { MessengerEvent, MessengerStatus, SetMessageState } from './events.ts';
import type { EncryptionHook, ParsedChatMessage, ParsedIncoming } from './types.ts';

export interface ReceiverDeps {
  readonly session: XmppSession;
  readonly storage: Storage;
  /** The account's bare JID. */
  readonly account: string;
  readonly encryption: EncryptionHook | undefined;
  readonly newId: () => string;
  readonly now: () => number;
  readonly emit: (event: MessengerEvent) => void;
  readonly setState: SetMessageState;
  /** What this device sent and the peer confirmed, or the server bounced, leaves the outbox. */
  readonly outbox: {
    confirmed(message: StoredMessage): Promise<void>;
    remove(id: string): Promise<void>;
  };
  /** Sends a receipt if the stream takes it (never an error). */
  readonly send: (stanza: Element) => Promise<void>;
  readonly report: (error: unknown) => void;
  /** The catch-up began ('syncing') or ended ('ready'). */
  readonly onSync: (status: Extract<MessengerStatus, 'syncing' | 'ready'>) => void;
}

export class Receiver {
  private readonly deps: ReceiverDeps;
  private readonly account: string;
  private receiptsForArchive = false;
  /** Incoming stanzas (and catch-ups) are handled one at a time, in arrival order. */
  private incoming: Promise<void> = Promise.resolve();

  constructor(deps: ReceiverDeps) {
    this.deps = deps;
    this.account = deps.account;
  }

  /** A stanza from the live stream: handled after everything before it. */
  live(stanza: Element): void {
    void this.inOrder(() => this.handleIncoming(stanza, 'live')).catch(() => undefined);
  }

  /** Runs `task` after every incoming stanza and catch-up before it; reports its failure. */
  inOrder(task: () => Promise<void>): Promise<void> {
    const run = this.incoming.then(task);
    this.incoming = run.catch((error: unknown) => this.deps.report(error));
    return run;
  }

  /** Resolves once everything received so far is handled (its failures were reported). */
  idle(): Promise<void> {
    return this.incoming;
  }

  /** XEP-0280: this device gets copies of what the account's other devices send and receive. */
  async enableCarbons(): Promise<void> {
    try {
      await this.deps.session.request(
        parse(`<iq xmlns='jabber:client' type='set'><enable xmlns='${NS_CARBONS}'/></iq>`),
      );
    } catch (error) {
      this.deps.report(
        new HushError(
          'ProtocolError',
          'The server does not copy messages to other devices (carbons).',
          { cause: error },
        ),
      );
    }
  }

  /** Handles what the archive holds after the last archive id this device saw, and keeps the id. */
  async catchUp(): Promise<void> {
    const { session, storage } = this.deps;
    this.deps.onSync('syncing');
    const stored = (await storage.accounts.get(this.account)) ?? {
      jid: this.account,
      service: session.client.options.service,
      resource: session.jid.slice(session.jid.indexOf('/') + 1),
    };
    // A device's very first catch-up is old history: no receipts for it. Later catch-ups bring what
    // arrived while this device was away, and the sender learns it was delivered.
    this.receiptsForArchive = stored.mamLastStanzaId !== undefined;
    const last = await catchUpArchive(session, {
      ...(stored?.mamLastStanzaId ? { after: stored.mamLastStanzaId } : {}),
      onPage: async (page) => {
        for (const stanza of page.messages) await this.handleIncoming(stanza, 'archive');
        if (page.last && stored)
          await storage.accounts.put({ ...stored, mamLastStanzaId: page.last });
      },
    });
    // An empty archive leaves no id to resume from; '' still records that this device has caught
    // up once, so what arrives from now on counts as new (and gets receipts).
    await storage.accounts.put({
      ...stored,
      mamLastStanzaId: last ?? stored.mamLastStanzaId ?? '',
    });
    this.deps.onSync('ready');
  }

  private async handleIncoming(stanza: Element, expected: 'live' | 'archive'): Promise<void> {
    const parsed = parseIncoming(stanza, this.account);
    if (!parsed) return;
    if (expected === 'live' && parsed.kind === 'chat' && parsed.source === 'archive') return; // handled by catchUp
    return this.dispatch(parsed);
  }

  private async dispatch(parsed: ParsedIncoming): Promise<void> {
    const { storage } = this.deps;
    switch (parsed.kind) {
      case 'chat':
        return this.receiveChat(parsed);
      case 'receipt':
      case 'displayed': {
        const message = await storage.messages.findByOriginId(this.account, parsed.peer, parsed.id);
        if (parsed.direction === 'in' && message?.direction === 'out') {
          await this.deps.setState(message.id, parsed.kind === 'receipt' ? 'delivered' : 'read');
          await this.deps.outbox.confirmed(message);
        } else if (
          parsed.kind === 'displayed' &&
          parsed.direction === 'out' &&
          message?.direction === 'in'
        ) {
          // Read on another device of this account: the unread count clears here too.
          await storage.messages.markRead(this.account, parsed.peer, message.timestamp);
          this.deps.emit({ type: 'read', peer: parsed.peer, upTo: message.timestamp });
        }
        return;
      }
      case 'error': {
        if (!parsed.id) return;
        const message = await storage.messages.findByOriginId(this.account, parsed.peer, parsed.id);
        if (message?.direction === 'out') {
          // The server has it and answered: nothing to resend, and its ack (which can come after
          // the bounce) must not turn the failure into 'sent'.
          await this.deps.outbox.remove(message.id);
          await this.deps.setState(message.id, 'failed', {
            code: parsed.condition,
            message: parsed.text ?? `The server could not deliver it (${parsed.condition}).`,
          });
        }
        return;
      }
      case 'chat-state':
        // Live only, from the peer (parse drops copies and the account's own): nothing is stored.
        this.deps.emit({ type: 'chat-state', peer: parsed.peer, state: parsed.state });
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
      await this.deps.encryption?.settle?.(stored);
    }
  }

  private async decryptAndStore(parsed: ParsedChatMessage): Promise<void> {
    const { encryption } = this.deps;
    let body = parsed.body;
    let encrypted = false;
    let failure: HushError | undefined;
    let warning: HushError | undefined;
    let file: SharedFile | undefined;
    if (encryption) {
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
          await this.deps.send(buildReceipt(parsed.peer, parsed.id));
        return;
      }
      const result = await encryption.decrypt(parsed, { hold: true });
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
        if ('error' in shared) this.deps.emit({ type: 'error', error: shared.error });
        else if ('file' in shared) ({ file, body } = shared);
      }
    }
    if (body === undefined && !failure) return; // nothing to show (e.g. a key-transport message)
    const note = failure ?? warning;
    const id = parsed.direction === 'out' && parsed.originId ? parsed.originId : this.deps.newId();
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
    const { stored, duplicate } = await this.deps.storage.messages.add(message);
    if (!duplicate) this.deps.emit({ type: 'message', message: stored, ...(file ? { file } : {}) });
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
      await this.deps.send(buildReceipt(parsed.peer, parsed.id));
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
    const now = this.deps.now();
    const stamped = Math.min(parsed.timestamp ?? now, now);
    const recent = await this.deps.storage.messages.history(this.account, parsed.peer, {
      limit: 20,
    });
    const previous = recent.findLast((message) => message.direction === parsed.direction);
    return previous && previous.timestamp > stamped ? previous.timestamp : stamped;
  }

  private async alreadyStored(parsed: ParsedChatMessage): Promise<boolean> {
    const { messages } = this.deps.storage;
    if (parsed.stanzaId && (await messages.findByStanzaId(this.account, parsed.stanzaId)))
      return true;
    if (!parsed.originId) return false;
    const known = await messages.findByOriginId(this.account, parsed.peer, parsed.originId);
    // An outgoing copy matches a message this device sent (its id is the origin-id); an incoming one
    // matches a copy of the same message from the same peer.
    if (known?.direction !== parsed.direction) return false;
    if (parsed.stanzaId && !known.stanzaId)
      await messages.setStanzaId(this.account, known.id, parsed.stanzaId);
    return true;
  }
}
