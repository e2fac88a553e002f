// The chat list and the open conversations of one account, read from storage and refreshed when the
// Messenger or the roster says something changed. Storage is the source of truth: a snapshot is
// always a query result, never a second copy kept in step by hand.
import {
  HushError,
  type Contact,
  type Contacts,
  type Messenger,
  type Storage,
  type StoredMessage,
} from '@hush/core';
import { SnapshotStore } from './store.ts';

export interface ChatListItem {
  readonly peer: string;
  readonly name?: string;
  readonly lastMessage?: StoredMessage;
  readonly unread: number;
  readonly available: boolean;
  /** We asked to see their presence and they have not answered yet. */
  readonly awaitingApproval: boolean;
}

export interface ChatsSnapshot {
  readonly loaded: boolean;
  readonly items: readonly ChatListItem[];
  /** People who asked to add this account; answered with approve or deny. */
  readonly requests: readonly string[];
  readonly blocked: readonly string[];
  /** Peers typing right now (XEP-0085 composing), for the chat list and the conversation. */
  readonly typing: readonly string[];
  /**
   * Conversations someone not in the contacts started (and this account never answered): shown as
   * requests to add, block or report, not among the chats. Known only while connected (the roster
   * comes from the server); offline every conversation is a chat.
   */
  readonly strangers?: readonly ChatListItem[];
  /** The server takes spam reports (XEP-0377): a request can be reported as well as blocked. */
  readonly canReport?: boolean;
}

/** Spam reports to the account's server (core's SpamReports). */
export interface Reporter {
  supported(): Promise<boolean>;
  report(jid: string, report?: { readonly stanzaIds?: readonly string[] }): Promise<void>;
}

/** A 'composing' without a 'paused' after it (the peer's app was closed) expires after this. */
export const TYPING_EXPIRES_MS = 30_000;

export interface ThreadSnapshot {
  readonly loaded: boolean;
  /** Oldest first. */
  readonly messages: readonly StoredMessage[];
  readonly hasOlder: boolean;
}

const PAGE = 50;
/** How far back a conversation is searched for an answer of ours before calling it a stranger's. */
const ANSWER_WITHIN = 50;

/** Runs `work` once now and once more if asked again while it ran; never twice at once. */
function coalesced(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await work();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  return run;
}

export class ThreadStore extends SnapshotStore<ThreadSnapshot> {
  private readonly storage: Storage;
  private readonly account: string;
  readonly peer: string;
  private size = PAGE;
  readonly refresh: () => Promise<void>;

  constructor(storage: Storage, account: string, peer: string) {
    super({ loaded: false, messages: [], hasOlder: false });
    this.storage = storage;
    this.account = account;
    this.peer = peer;
    this.refresh = coalesced(async () => {
      const messages = await this.storage.messages.history(this.account, this.peer, {
        limit: this.size + 1,
      });
      const hasOlder = messages.length > this.size;
      this.set({ loaded: true, messages: hasOlder ? messages.slice(1) : messages, hasOlder });
    });
  }

  async loadOlder(): Promise<void> {
    this.size += PAGE;
    await this.refresh();
  }
}

/** `chats`, or the error a screen shows when there is no account (signed out) to act for. */
export function requireChats(chats: ChatStore | undefined): ChatStore {
  if (!chats) throw new HushError('NoAccount', 'Not signed in on this device.');
  return chats;
}

export class ChatStore extends SnapshotStore<ChatsSnapshot> {
  private readonly storage: Storage;
  readonly account: string;
  private contacts: Contacts | undefined;
  private reporter: Reporter | undefined;
  private readonly threads = new Map<string, ThreadStore>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly refresh: () => Promise<void>;

  constructor(storage: Storage, account: string) {
    super({ loaded: false, items: [], requests: [], blocked: [], typing: [] });
    this.storage = storage;
    this.account = account;
    this.refresh = coalesced(() => this.load());
  }

  /**
   * Follows a connected account's Messenger and roster (and, given one, offers spam reports where
   * the server takes them); returns the function that stops it.
   */
  attach(messenger: Messenger, contacts: Contacts, reporter?: Reporter): () => void {
    this.contacts = contacts;
    this.reporter = reporter;
    if (reporter)
      void reporter.supported().then(
        (canReport) => this.reporter === reporter && this.update({ canReport }),
        () => undefined,
      );
    const stops = [
      messenger.subscribe((event) => {
        if (event.type === 'chat-state') this.setTyping(event.peer, event.state === 'composing');
        // A message from the peer ends their typing.
        if (event.type === 'message' && event.message.direction === 'in')
          this.setTyping(event.message.peer, false);
        if (event.type === 'message' || event.type === 'state' || event.type === 'read') {
          void this.refresh();
          void this.threads.get(event.type === 'read' ? event.peer : event.message.peer)?.refresh();
        }
      }),
      contacts.onChange(() => void this.refresh()),
      contacts.onRequest(() => void this.refresh()),
      contacts.onPresence(() => void this.refresh()),
    ];
    void this.refreshBlocked();
    void this.refresh();
    return () => {
      for (const stop of stops) stop();
      for (const peer of [...this.typingTimers.keys()]) this.setTyping(peer, false);
      this.contacts = undefined;
      this.reporter = undefined;
      this.update({ canReport: false });
    };
  }

  private setTyping(peer: string, typing: boolean): void {
    clearTimeout(this.typingTimers.get(peer));
    this.typingTimers.delete(peer);
    if (typing) {
      const timer = setTimeout(() => this.setTyping(peer, false), TYPING_EXPIRES_MS);
      // A pending expiry must not keep a Node process (tests, the CLI) alive.
      (timer as { unref?: () => void }).unref?.();
      this.typingTimers.set(peer, timer);
    }
    const others = this.getSnapshot().typing.filter((p) => p !== peer);
    const next = typing ? [...others, peer] : others;
    if (next.length !== this.getSnapshot().typing.length) this.update({ typing: next });
  }

  thread(peer: string): ThreadStore {
    let thread = this.threads.get(peer);
    if (!thread) {
      thread = new ThreadStore(this.storage, this.account, peer);
      this.threads.set(peer, thread);
      void thread.refresh();
    }
    return thread;
  }

  async refreshBlocked(): Promise<void> {
    const blocked = await this.contacts?.blocked().catch(() => undefined);
    if (blocked) {
      this.update({ blocked: [...blocked] });
      await this.refresh();
    }
  }

  private requireContacts(): Contacts {
    if (!this.contacts)
      throw new HushError('ServerUnreachable', 'Not connected: waiting for the server.');
    return this.contacts;
  }

  /** A stranger's conversation becomes a chat: they are added (and asked to share presence). */
  async addStranger(peer: string): Promise<void> {
    await this.requireContacts().add(peer);
    await this.refresh();
  }

  /** Blocks someone (XEP-0191): nothing from them arrives; their request leaves the list. */
  async block(peer: string): Promise<void> {
    await this.requireContacts().block(peer);
    await this.refreshBlocked();
  }

  /** Reports someone as a spammer to the server, with the messages they sent; blocks them too. */
  async report(peer: string): Promise<void> {
    this.requireContacts();
    const reporter = this.reporter;
    if (!reporter || !this.getSnapshot().canReport)
      throw new HushError('NotAllowed', 'This server does not take spam reports: block instead.');
    const recent = await this.storage.messages.history(this.account, peer, { limit: PAGE });
    const stanzaIds = recent
      .filter((message) => message.direction === 'in' && message.stanzaId)
      .map((message) => message.stanzaId as string);
    await reporter.report(peer, { stanzaIds });
    await this.refreshBlocked();
  }

  /** Whether this account ever wrote in the conversation (as far back as ANSWER_WITHIN). */
  private async answered(peer: string): Promise<boolean> {
    const recent = await this.storage.messages.history(this.account, peer, {
      limit: ANSWER_WITHIN,
    });
    return recent.some((message) => message.direction === 'out');
  }

  private async load(): Promise<void> {
    const conversations = await this.storage.messages.conversations(this.account);
    const roster: readonly Contact[] = this.contacts?.contacts() ?? [];
    const byPeer = new Map(roster.map((contact) => [contact.jid, contact]));
    const item = (peer: string, contact: Contact | undefined): ChatListItem => ({
      peer,
      ...(contact?.name ? { name: contact.name } : {}),
      unread: 0,
      available: this.contacts?.available(peer) ?? false,
      awaitingApproval:
        contact !== undefined &&
        contact.ask &&
        (contact.subscription === 'none' || contact.subscription === 'from'),
    });
    const blocked = new Set(this.getSnapshot().blocked);
    const items: ChatListItem[] = [];
    const strangers: ChatListItem[] = [];
    for (const conversation of conversations) {
      const contact = byPeer.get(conversation.peer);
      const listed = {
        ...item(conversation.peer, contact),
        lastMessage: conversation.lastMessage,
        unread: conversation.unread,
      };
      // Without a connection the roster is not known: everything is a chat until it is.
      const stranger =
        this.contacts !== undefined &&
        contact === undefined &&
        conversation.lastMessage.direction === 'in' &&
        !(await this.answered(conversation.peer));
      if (!stranger) items.push(listed);
      // A blocked stranger is gone from the list (their history stays on this device).
      else if (!blocked.has(conversation.peer)) strangers.push(listed);
    }
    // Contacts without messages yet come after every conversation, by address.
    const seen = new Set(items.map((i) => i.peer));
    for (const contact of [...roster].sort((a, b) => a.jid.localeCompare(b.jid))) {
      if (!seen.has(contact.jid)) items.push(item(contact.jid, contact));
    }
    const requests = (this.contacts?.requests() ?? [])
      .map((request) => request.jid)
      .filter((jid) => !blocked.has(jid));
    this.update({ loaded: true, items, requests, strangers });
  }
}
