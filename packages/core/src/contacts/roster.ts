// RFC 6121 XMPP Instant Messaging and Presence (roster §2, subscriptions §3) — https://www.rfc-editor.org/rfc/rfc6121
// XEP-0191 Blocking Command — https://xmpp.org/extensions/xep-0191.html
// XEP-0379 Pre-Authenticated Roster Subscription — https://xmpp.org/extensions/xep-0379.html
// XEP-0172 User Nickname (in requests, and on PEP: nick.ts) — https://xmpp.org/extensions/xep-0172.html
//
// The contacts of one account: the roster, who asked to see our presence, who is online, and whom
// we block. A stanza from the network that does not fit (a forged roster push, a malformed item)
// is ignored, never thrown.
import xml, { type Element } from '@xmpp/xml';
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { splitJid, type XmppSession } from '../xmpp/session.ts';
import { parseInvite } from '../account/invite.ts';
import { NS_PREAUTH } from '../account/register.ts';
import { NS_STANZAS } from '../chat/namespaces.ts';
import { Nicknames, nickElement } from './nick.ts';
import type {
  Contact,
  ContactsDeps,
  PresenceChange,
  Subscription,
  SubscriptionRequest,
} from './types.ts';
import { bareJid } from '../util/jid.ts';

export const NS_ROSTER = 'jabber:iq:roster';
export const NS_BLOCKING = 'urn:xmpp:blocking';
/** Stream feature of servers that accept subscription pre-approvals (RFC 6121 §3.4). */
export const NS_PRE_APPROVAL = 'urn:xmpp:features:pre-approval';

const SUBSCRIPTIONS: readonly Subscription[] = ['none', 'to', 'from', 'both'];

/** xmpp.js's iq callee (@xmpp/iq/callee.js), which the shared declarations leave out. */
interface IqCallee {
  set(
    xmlns: string,
    name: string,
    handler: (context: { stanza: Element }, next: () => unknown) => unknown,
  ): void;
}

/** user@domain/resource -> user@domain, lower case. */

/** A roster item element -> Contact, or null when it is not one (or asks for removal: 'remove'). */
export function parseRosterItem(item: Element): Contact | 'remove' | null {
  try {
    const jid = item.attrs.jid;
    if (!item.is('item') || !jid || /[\s/]/.test(jid) || jid.length > 3071) return null;
    const subscription = item.attrs.subscription ?? 'none';
    if (subscription === 'remove') return 'remove';
    if (!SUBSCRIPTIONS.includes(subscription as Subscription)) return null;
    const groups = item
      .getChildren('group')
      .map((group) => group.text())
      .filter((name) => name !== '');
    return {
      jid: jid.toLowerCase(),
      ...(item.attrs.name ? { name: item.attrs.name } : {}),
      subscription: subscription as Subscription,
      ask: item.attrs.ask === 'subscribe',
      approved: item.attrs.approved === 'true' || item.attrs.approved === '1',
      groups,
    };
  } catch {
    return null;
  }
}

function contactsError(error: unknown, action: string): HushError {
  if (error instanceof HushError) return error;
  const { condition, text, name } = (error ?? {}) as XmppError;
  const detail = text ? ` (${text})` : '';
  if (name === 'TimeoutError') {
    return new HushError('Timeout', `The server did not answer while trying to ${action}.`, {
      cause: error,
    });
  }
  switch (condition) {
    case 'not-allowed':
    case 'forbidden':
    case 'not-authorized':
      return new HushError('NotAllowed', `The server does not let you ${action}${detail}.`, {
        cause: error,
      });
    case 'jid-malformed':
      return new HushError('InvalidUsername', 'That is not a valid address.', { cause: error });
    default:
      return new HushError(
        'ProtocolError',
        `Could not ${action}: ${condition ?? (error instanceof Error ? error.message : String(error))}`,
        { cause: error },
      );
  }
}

/** A bare address the user typed or a link named, checked; throws InvalidUsername otherwise. */
function contactAddress(jid: string): string {
  const address = bareJid(jid.trim());
  splitJid(address);
  if (/\s/.test(address)) throw new HushError('InvalidUsername', `'${jid}' is not an address.`);
  return address;
}

export class Contacts {
  /** The account's bare JID. */
  readonly account: string;
  /** The names people gave themselves (XEP-0172); a change reads as a change of the contacts. */
  readonly nicknames: Nicknames;
  private readonly session: XmppSession;
  private readonly preApproval: boolean;
  private readonly roster = new Map<string, Contact>();
  /** Bare JID -> resources that are online. */
  private readonly online = new Map<string, Set<string>>();
  private readonly pending = new Set<string>();
  private readonly changeListeners = new Set<(contacts: readonly Contact[]) => void>();
  private readonly requestListeners = new Set<(request: SubscriptionRequest) => void>();
  private readonly presenceListeners = new Set<(change: PresenceChange) => void>();
  private unsubscribe: (() => void) | undefined;
  private stopOnline: (() => void) | undefined;
  private started = false;
  private closed = false;

  constructor(deps: ContactsDeps) {
    this.session = deps.session;
    this.preApproval = deps.preApproval ?? true;
    this.account = bareJid(deps.session.jid);
    this.nicknames = new Nicknames(deps.session, this.account);
    this.nicknames.onChange(() => this.emitChange());
  }

  /**
   * Starts listening and loads the roster. Call it before the session's initial presence goes out
   * (RFC 6121 §2.2: the roster first, so pending subscription requests the server replays after
   * initial presence find it loaded); Messenger.start() sends that presence.
   */
  async start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.closed = false;
      this.unsubscribe = this.session.onStanza((stanza) => this.handleStanza(stanza));
      // Pushes are iq sets: they must be answered through xmpp.js's callee, which otherwise answers
      // every iq set nobody handles with service-unavailable. Its handlers cannot be removed, so
      // after close() they pass the iq on.
      const callee = (this.session.client as unknown as { iqCallee?: IqCallee }).iqCallee;
      callee?.set(NS_ROSTER, 'query', ({ stanza }, next) =>
        this.closed ? next() : this.handleRosterPush(stanza),
      );
      // Blocklist pushes (XEP-0191 §3.3/§3.4) carry nothing we keep; acknowledge them.
      for (const name of ['block', 'unblock'])
        callee?.set(NS_BLOCKING, name, ({ stanza }, next) =>
          this.closed || !this.fromOwnAccount(stanza) ? next() : true,
        );
      // A new stream (not a resumed one): what we knew of who is online is stale, and roster pushes
      // sent while we were away are lost. The server tells us again who is online once the new
      // stream's initial presence goes out; the roster is fetched again before that.
      const onOnline = () => {
        for (const jid of [...this.online.keys()]) this.setOffline(jid);
        this.list().catch(() => undefined);
      };
      this.session.client.on('online', onOnline);
      this.stopOnline = () => this.session.client.removeListener('online', onOnline);
    }
    await this.list();
  }

  close(): void {
    this.closed = true;
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.stopOnline?.();
    this.stopOnline = undefined;
  }

  /** Fetches the roster from the server (RFC 6121 §2.2) and returns it. */
  async list(): Promise<readonly Contact[]> {
    let result: Element;
    try {
      result = await this.session.request(
        xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })),
      );
    } catch (error) {
      throw contactsError(error, 'load your contacts');
    }
    this.roster.clear();
    for (const item of result.getChild('query', NS_ROSTER)?.getChildren('item') ?? []) {
      const contact = parseRosterItem(item);
      if (contact && contact !== 'remove') this.roster.set(contact.jid, contact);
    }
    this.emitChange();
    return this.contacts();
  }

  /** The roster as last known, without asking the server. */
  contacts(): readonly Contact[] {
    return [...this.roster.values()];
  }

  get(jid: string): Contact | undefined {
    return this.roster.get(bareJid(jid));
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
    await this.setItem(
      xml(
        'item',
        { jid: address, ...(trimmed ? { name: trimmed } : {}) },
        ...groups.map((group) => xml('group', {}, group)),
      ),
      'rename a contact',
    );
    return this.get(address) ?? this.placeholder(address, trimmed || undefined);
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
    await this.setItem(xml('item', { jid: address, ...(name ? { name } : {}) }), 'add a contact');
    await this.session.send(xml('presence', { type: 'subscribe', to: address }, ...this.ownNick()));
    await this.approveIfNeeded(address);
    return this.get(address) ?? this.placeholder(address, name);
  }

  /** Accepts a pending request from someone not yet in the roster, and asks to see theirs too. */
  async approve(jid: string, name?: string): Promise<Contact> {
    return this.add(jid, name);
  }

  /** Turns down a pending request (RFC 6121 §3.2.1). */
  async deny(jid: string): Promise<void> {
    const address = contactAddress(jid);
    this.pending.delete(address);
    await this.session.send(xml('presence', { type: 'unsubscribed', to: address }));
  }

  /** Requests from people not in the roster, waiting for approve() or deny(). */
  requests(): readonly SubscriptionRequest[] {
    return [...this.pending].map((jid) => ({ jid }));
  }

  /** Removes the contact; the server cancels both subscriptions (RFC 6121 §2.5). */
  async remove(jid: string): Promise<void> {
    const address = contactAddress(jid);
    // Already gone (RFC 6121 §2.3.3 item-not-found) is what the caller wanted.
    await this.setItem(
      xml('item', { jid: address, subscription: 'remove' }),
      'remove a contact',
      'item-not-found',
    );
    this.roster.delete(address);
    this.pending.delete(address);
    this.setOffline(address);
    this.emitChange();
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
    await this.setItem(xml('item', { jid: inviter }), 'add a contact');
    await this.approveIfNeeded(inviter);
    await this.session.send(
      xml(
        'presence',
        { type: 'subscribe', to: inviter },
        xml('preauth', { xmlns: NS_PREAUTH, token: invite.token }),
        ...this.ownNick(),
      ),
    );
    return this.get(inviter) ?? this.placeholder(inviter);
  }

  /** Blocks all traffic from and to the address (XEP-0191 §3.3). */
  async block(jid: string): Promise<void> {
    const address = contactAddress(jid);
    await this.blockingRequest('block', address, 'block this address');
    this.pending.delete(address);
  }

  async unblock(jid: string): Promise<void> {
    await this.blockingRequest('unblock', contactAddress(jid), 'unblock this address');
  }

  /** The addresses the account blocks (XEP-0191 §3.2). */
  async blocked(): Promise<readonly string[]> {
    let result: Element;
    try {
      result = await this.session.request(
        xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS_BLOCKING })),
      );
    } catch (error) {
      throw contactsError(error, 'read the block list');
    }
    return (result.getChild('blocklist', NS_BLOCKING)?.getChildren('item') ?? [])
      .map((item) => item.attrs.jid?.toLowerCase())
      .filter((jid): jid is string => jid !== undefined && jid !== '');
  }

  /** Whether any device of the contact is online, as far as their presence told us. */
  available(jid: string): boolean {
    return (this.online.get(bareJid(jid))?.size ?? 0) > 0;
  }

  onChange(listener: (contacts: readonly Contact[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onRequest(listener: (request: SubscriptionRequest) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  onPresence(listener: (change: PresenceChange) => void): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  /** This account's nickname for a subscription request (XEP-0172 §4.1), when it has one. */
  private ownNick(): Element[] {
    const nick = this.nicknames.own();
    return nick ? [nickElement(nick)] : [];
  }

  private placeholder(jid: string, name?: string): Contact {
    return {
      jid,
      ...(name ? { name } : {}),
      subscription: 'none',
      ask: false,
      approved: false,
      groups: [],
    };
  }

  private async setItem(item: Element, action: string, tolerated?: string): Promise<void> {
    try {
      await this.session.request(
        xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, item)),
      );
    } catch (error) {
      if (tolerated !== undefined && (error as XmppError | undefined)?.condition === tolerated)
        return;
      throw contactsError(error, action);
    }
  }

  private async blockingRequest(name: 'block' | 'unblock', jid: string, action: string) {
    try {
      await this.session.request(
        xml('iq', { type: 'set' }, xml(name, { xmlns: NS_BLOCKING }, xml('item', { jid }))),
      );
    } catch (error) {
      throw contactsError(error, action);
    }
  }

  /** Lets the contact see our presence, unless they already do. */
  private async approveIfNeeded(jid: string): Promise<void> {
    const subscription = this.get(jid)?.subscription;
    if (subscription === 'from' || subscription === 'both') return;
    if (!this.preApproval && !this.pending.has(jid)) return;
    this.pending.delete(jid);
    await this.session.send(xml('presence', { type: 'subscribed', to: jid }));
  }

  /** RFC 6121 §2.1.6: a push is only genuine without a from or from the account's bare JID. */
  private fromOwnAccount(stanza: Element): boolean {
    const from = stanza.attrs.from;
    return from === undefined || from.toLowerCase() === this.account;
  }

  private handleRosterPush(stanza: Element): unknown {
    try {
      // Anything else is a forgery: answer as if there were no handler (service-unavailable).
      if (!this.fromOwnAccount(stanza)) return undefined;
      const items = stanza.getChild('query', NS_ROSTER)?.getChildren('item') ?? [];
      const item = items.length === 1 && items[0] ? parseRosterItem(items[0]) : null;
      if (!item || !items[0]) return badRequest();
      const jid = (items[0].attrs.jid ?? '').toLowerCase();
      if (item === 'remove') {
        this.roster.delete(jid);
        this.setOffline(jid);
      } else {
        this.roster.set(jid, item);
      }
      this.emitChange();
      return true;
    } catch {
      return badRequest();
    }
  }

  private handleStanza(stanza: Element): void {
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
          return this.setOnline(jid, resource);
        case 'unavailable':
          return slash >= 0 ? this.setOffline(jid, resource) : this.setOffline(jid);
        case 'error':
          // RFC 6121 §4.6.3: a presence error means their presence is unknown: show them offline.
          return this.setOffline(jid);
        case 'subscribe':
          return void this.handleSubscribe(jid).catch(() => undefined);
        default:
          return; // subscribed/unsubscribe/unsubscribed: the server pushes the roster change
      }
    } catch {
      // A presence shaped in a way nothing above foresaw: ignore it.
    }
  }

  private async handleSubscribe(jid: string): Promise<void> {
    if (jid === this.account || splitJid(jid).local === '') return;
    const contact = this.roster.get(jid);
    if (contact) {
      // Someone we added (or pre-approved) asks back: this is what adding them meant.
      if (contact.subscription !== 'from' && contact.subscription !== 'both') {
        await this.session.send(xml('presence', { type: 'subscribed', to: jid }));
      }
      return;
    }
    if (this.pending.has(jid)) return;
    this.pending.add(jid);
    for (const listener of this.requestListeners) listener({ jid });
  }

  private setOnline(jid: string, resource: string): void {
    const resources = this.online.get(jid) ?? new Set<string>();
    const was = resources.size > 0;
    resources.add(resource);
    this.online.set(jid, resources);
    if (!was) this.emitPresence(jid, true);
  }

  private setOffline(jid: string, resource?: string): void {
    const resources = this.online.get(jid);
    if (!resources || resources.size === 0) return;
    if (resource === undefined) resources.clear();
    else resources.delete(resource);
    if (resources.size === 0) {
      this.online.delete(jid);
      this.emitPresence(jid, false);
    }
  }

  private emitPresence(jid: string, available: boolean): void {
    for (const listener of this.presenceListeners) listener({ jid, available });
  }

  private emitChange(): void {
    const contacts = this.contacts();
    for (const listener of this.changeListeners) listener(contacts);
  }
}

function badRequest(): Element {
  return xml('error', { type: 'modify' }, xml('bad-request', { xmlns: NS_STANZAS }));
}
