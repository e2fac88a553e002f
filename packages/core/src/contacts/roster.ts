// RFC 6121 XMPP Instant Messaging and Presence (roster §2, subscriptions §3) — https://www.rfc-editor.org/rfc/rfc6121
// XEP-0191 Blocking Command — https://xmpp.org/extensions/xep-0191.html
// XEP-0379 Pre-Authenticated Roster Subscription — https://xmpp.org/extensions/xep-0379.html
// XEP-0172 User Nickname (in requests, and on PEP: nick.ts) — https://xmpp.org/extensions/xep-0172.html
//
// The contacts of one account: the roster itself (loaded, pushed, changed) and the one surface that
// joins it to who asked to see our presence (subscriptions.ts), who is online (presence.ts), whom
// we block (blocking.ts) and the names people gave themselves (nick.ts). A stanza from the network
// that does not fit (a forged roster push, a malformed item) is ignored, never thrown.
import xml, { type Element } from '@xmpp/xml';
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import { parseInvite } from '../account/invite.ts';
import { NS_PREAUTH } from '../account/register.ts';
import { NS_STANZAS } from '../chat/namespaces.ts';
import { Nicknames, nickElement } from './nick.ts';
import type { Contact, ContactsDeps, PresenceChange, SubscriptionRequest } from './types.ts';
import { bareJid } from '../util/jid.ts';
import { NS_ROSTER, parseRosterItem, placeholderContact } from './roster-item.ts';
import { contactAddress, contactsError } from './contacts-error.ts';
import { NS_BLOCKING, blockedAddresses, changeBlocking } from './blocking.ts';
import { ContactPresence } from './presence.ts';
import { SubscriptionRequests } from './subscriptions.ts';

export { NS_ROSTER, parseRosterItem } from './roster-item.ts';
export { NS_BLOCKING } from './blocking.ts';
export { NS_PRE_APPROVAL } from './subscriptions.ts';

/** xmpp.js's iq callee (@xmpp/iq/callee.js), which the shared declarations leave out. */
interface IqCallee {
  set(
    xmlns: string,
    name: string,
    handler: (context: { stanza: Element }, next: () => unknown) => unknown,
  ): void;
}

export class Contacts {
  /** The account's bare JID. */
  readonly account: string;
  /** The names people gave themselves (XEP-0172); a change reads as a change of the contacts. */
  readonly nicknames: Nicknames;
  readonly #session: XmppSession;
  readonly #roster = new Map<string, Contact>();
  readonly #presence = new ContactPresence();
  readonly #subscriptions: SubscriptionRequests;
  readonly #changeListeners = new Set<(contacts: readonly Contact[]) => void>();
  #unsubscribe: (() => void) | undefined;
  #stopOnline: (() => void) | undefined;
  #started = false;
  #closed = false;

  constructor(deps: ContactsDeps) {
    this.#session = deps.session;
    this.account = bareJid(deps.session.jid);
    this.#subscriptions = new SubscriptionRequests({
      session: deps.session,
      account: this.account,
      preApproval: deps.preApproval ?? true,
      subscriptionOf: (jid) => this.#roster.get(jid)?.subscription,
    });
    this.nicknames = new Nicknames(deps.session, this.account);
    this.nicknames.onChange(() => this.#emitChange());
  }

  /**
   * Starts listening and loads the roster. Call it before the session's initial presence goes out
   * (RFC 6121 §2.2: the roster first, so pending subscription requests the server replays after
   * initial presence find it loaded); Messenger.start() sends that presence.
   */
  async start(): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      this.#closed = false;
      this.#unsubscribe = this.#session.onStanza((stanza) => this.#handleStanza(stanza));
      // Pushes are iq sets: they must be answered through xmpp.js's callee, which otherwise answers
      // every iq set nobody handles with service-unavailable. Its handlers cannot be removed, so
      // after close() they pass the iq on.
      const callee = (this.#session.client as unknown as { iqCallee?: IqCallee }).iqCallee;
      callee?.set(NS_ROSTER, 'query', ({ stanza }, next) =>
        this.#closed ? next() : this.#handleRosterPush(stanza),
      );
      // Blocklist pushes (XEP-0191 §3.3/§3.4) carry nothing we keep; acknowledge them.
      for (const name of ['block', 'unblock'])
        callee?.set(NS_BLOCKING, name, ({ stanza }, next) =>
          this.#closed || !this.#fromOwnAccount(stanza) ? next() : true,
        );
      // A new stream (not a resumed one): what we knew of who is online is stale, and roster pushes
      // sent while we were away are lost. The server tells us again who is online once the new
      // stream's initial presence goes out; the roster is fetched again before that.
      const onOnline = () => {
        this.#presence.setAllOffline();
        this.list().catch(() => undefined);
      };
      this.#session.client.on('online', onOnline);
      this.#stopOnline = () => this.#session.client.removeListener('online', onOnline);
    }
    await this.list();
  }

  close(): void {
    this.#closed = true;
    this.#started = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#stopOnline?.();
    this.#stopOnline = undefined;
  }

  /** Fetches the roster from the server (RFC 6121 §2.2) and returns it. */
  async list(): Promise<readonly Contact[]> {
    let result: Element;
    try {
      result = await this.#session.request(
        xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })),
      );
    } catch (error) {
      throw contactsError(error, 'load your contacts');
    }
    this.#roster.clear();
    for (const item of result.getChild('query', NS_ROSTER)?.getChildren('item') ?? []) {
      const contact = parseRosterItem(item);
      if (contact && contact !== 'remove') this.#roster.set(contact.jid, contact);
    }
    this.#emitChange();
    return this.contacts();
  }

  /** The roster as last known, without asking the server. */
  contacts(): readonly Contact[] {
    return [...this.#roster.values()];
  }

  get(jid: string): Contact | undefined {
    return this.#roster.get(bareJid(jid));
  }

  /** The name to show for `jid`: the one this account gave them, else the one they gave themselves. */
  displayName(jid: string): string | undefined {
    return this.get(jid)?.name ?? this.nicknames.get(jid);
  }

  /** Gives a contact a name of this account's own (the roster item's name); '' removes it. */
  async rename(jid: string, name: string): Promise<Contact> {
    const address = contactAddress(jid);
    const groups = this.get(address)?.groups ?? [];
    const trimmed = name.trim();
    await this.#setItem(
      xml(
        'item',
        { jid: address, ...(trimmed ? { name: trimmed } : {}) },
        ...groups.map((group) => xml('group', {}, group)),
      ),
      'rename a contact',
    );
    return this.get(address) ?? placeholderContact(address, trimmed || undefined);
  }

  /**
   * Adds a contact and asks to see their presence. It also pre-approves theirs (RFC 6121 §3.4),
   * which answers a request they already sent, so both sides see each other as soon as the other
   * one adds us back.
   */
  async add(jid: string, name?: string): Promise<Contact> {
    const address = contactAddress(jid);
    if (address === this.account) {
      throw new HushError('InvalidUsername', 'You cannot add yourself as a contact.');
    }
    await this.#setItem(xml('item', { jid: address, ...(name ? { name } : {}) }), 'add a contact');
    await this.#session.send(
      xml('presence', { type: 'subscribe', to: address }, ...this.#ownNick()),
    );
    await this.#subscriptions.approveIfNeeded(address);
    return this.get(address) ?? placeholderContact(address, name);
  }

  /** Accepts a pending request from someone not yet in the roster, and asks to see theirs too. */
  async approve(jid: string, name?: string): Promise<Contact> {
    return this.add(jid, name);
  }

  /** Turns down a pending request (RFC 6121 §3.2.1). */
  async deny(jid: string): Promise<void> {
    await this.#subscriptions.deny(contactAddress(jid));
  }

  /** Requests from people not in the roster, waiting for approve() or deny(). */
  requests(): readonly SubscriptionRequest[] {
    return this.#subscriptions.requests();
  }

  /** Removes the contact; the server cancels both subscriptions (RFC 6121 §2.5). */
  async remove(jid: string): Promise<void> {
    const address = contactAddress(jid);
    // Already gone (RFC 6121 §2.3.3 item-not-found) is what the caller wanted.
    await this.#setItem(
      xml('item', { jid: address, subscription: 'remove' }),
      'remove a contact',
      'item-not-found',
    );
    this.#roster.delete(address);
    this.#subscriptions.forget(address);
    this.#presence.setOffline(address);
    this.#emitChange();
  }

  /**
   * Follows a contact invite, xmpp:alice@example.org?roster;preauth=TOKEN (XEP-0379): adds the
   * inviter and asks to see their presence with the token, which their server approves at once;
   * it then asks for ours on their behalf, which the pre-approval here answers.
   */
  async acceptInviteLink(uri: string): Promise<Contact> {
    const invite = parseInvite(uri);
    if (!invite.inviter) {
      throw new HushError('InviteInvalid', 'This link invites to a server, not to a contact.');
    }
    const inviter = contactAddress(invite.inviter);
    if (inviter === this.account) {
      throw new HushError('InviteInvalid', 'This is your own invite.');
    }
    await this.#setItem(xml('item', { jid: inviter }), 'add a contact');
    await this.#subscriptions.approveIfNeeded(inviter);
    await this.#session.send(
      xml(
        'presence',
        { type: 'subscribe', to: inviter },
        xml('preauth', { xmlns: NS_PREAUTH, token: invite.token }),
        ...this.#ownNick(),
      ),
    );
    return this.get(inviter) ?? placeholderContact(inviter);
  }

  /** Blocks all traffic from and to the address (XEP-0191 §3.3). */
  async block(jid: string): Promise<void> {
    const address = contactAddress(jid);
    await changeBlocking(this.#session, 'block', address, 'block this address');
    this.#subscriptions.forget(address);
  }

  async unblock(jid: string): Promise<void> {
    await changeBlocking(this.#session, 'unblock', contactAddress(jid), 'unblock this address');
  }

  /** The addresses the account blocks (XEP-0191 §3.2). */
  async blocked(): Promise<readonly string[]> {
    return blockedAddresses(this.#session);
  }

  /** Whether any device of the contact is online, as far as their presence told us. */
  available(jid: string): boolean {
    return this.#presence.available(bareJid(jid));
  }

  onChange(listener: (contacts: readonly Contact[]) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  onRequest(listener: (request: SubscriptionRequest) => void): () => void {
    return this.#subscriptions.onRequest(listener);
  }

  onPresence(listener: (change: PresenceChange) => void): () => void {
    return this.#presence.onChange(listener);
  }

  /** This account's nickname for a subscription request (XEP-0172 §4.1), when it has one. */
  #ownNick(): Element[] {
    const nick = this.nicknames.own();
    return nick ? [nickElement(nick)] : [];
  }

  async #setItem(item: Element, action: string, tolerated?: string): Promise<void> {
    try {
      await this.#session.request(
        xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, item)),
      );
    } catch (error) {
      if (tolerated !== undefined && (error as XmppError | undefined)?.condition === tolerated)
        return;
      throw contactsError(error, action);
    }
  }

  /** RFC 6121 §2.1.6: a push is only genuine without a from or from the account's bare JID. */
  #fromOwnAccount(stanza: Element): boolean {
    const from = stanza.attrs.from;
    return from === undefined || from.toLowerCase() === this.account;
  }

  #handleRosterPush(stanza: Element): unknown {
    try {
      // Anything else is a forgery: answer as if there were no handler (service-unavailable).
      if (!this.#fromOwnAccount(stanza)) return undefined;
      const items = stanza.getChild('query', NS_ROSTER)?.getChildren('item') ?? [];
      const item = items.length === 1 && items[0] ? parseRosterItem(items[0]) : null;
      if (!item || !items[0]) return badRequest();
      const jid = (items[0].attrs.jid ?? '').toLowerCase();
      if (item === 'remove') {
        this.#roster.delete(jid);
        this.#presence.setOffline(jid);
      } else {
        this.#roster.set(jid, item);
      }
      this.#emitChange();
      return true;
    } catch {
      return badRequest();
    }
  }

  #handleStanza(stanza: Element): void {
    try {
      this.nicknames.handleStanza(stanza);
      if (!stanza.is('presence')) return;
      const from = stanza.attrs.from;
      if (!from) return;
      const jid = bareJid(from);
      const slash = from.indexOf('/');
      const resource = slash >= 0 ? from.slice(slash + 1) : '';
      switch (stanza.attrs.type) {
        case undefined:
          return this.#presence.setOnline(jid, resource);
        case 'unavailable':
          return slash >= 0
            ? this.#presence.setOffline(jid, resource)
            : this.#presence.setOffline(jid);
        case 'error':
          // RFC 6121 §4.6.3: a presence error means their presence is unknown: show them offline.
          return this.#presence.setOffline(jid);
        case 'subscribe':
          return void this.#subscriptions.received(jid).catch(() => undefined);
        default:
          return; // subscribed/unsubscribe/unsubscribed: the server pushes the roster change
      }
    } catch {
      // A presence shaped in a way nothing above foresaw: ignore it.
    }
  }

  #emitChange(): void {
    const contacts = this.contacts();
    for (const listener of this.#changeListeners) listener(contacts);
  }
}

function badRequest(): Element {
  return xml('error', { type: 'modify' }, xml('bad-request', { xmlns: NS_STANZAS }));
}
