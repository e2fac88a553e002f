// XEP-0172 User Nickname — https://xmpp.org/extensions/xep-0172.html
// XEP-0163 Personal Eventing Protocol — https://xmpp.org/extensions/xep-0163.html
//
// The names people give themselves: carried in a subscription request (§4.1), and published on
// their account's PEP node for their contacts to read (§4.2–4.3, pushed to clients that announce
// `http://jabber.org/protocol/nick+notify`). A nickname is what someone says they are called, not
// who they are: it is shown beside the address where a decision is taken (a request), and a name
// this account gave them (the roster's) wins over it.
import xml, { type Element } from '@xmpp/xml';
import type { XmppSession } from '../xmpp/session.ts';
import { HushError } from '../errors.ts';
import { bareJid } from '../util/jid.ts';
import { contactsError } from './contacts-error.ts';

export const NS_NICK = 'http://jabber.org/protocol/nick';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';

/** The feature that asks PEP to push contacts' nicknames (XEP-0163 §4), for the client's caps. */
export const NICK_NOTIFY = `${NS_NICK}+notify`;

/** Longer nicknames are cut: a name, not a message. */
export const MAX_NICK_LENGTH = 64;

/**
 * A nickname as it may be shown: control characters and bidirectional overrides (which could
 * make a name display as another) removed, white space collapsed, at most MAX_NICK_LENGTH
 * characters; undefined when nothing is left.
 */
export function cleanNick(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cleaned = text
    // C0/C1 controls, and the bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069).
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069\u200e\u200f]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = Array.from(cleaned).slice(0, MAX_NICK_LENGTH).join('').trim();
  return cut === '' ? undefined : cut;
}

/** The nickname in a stanza's or item's <nick xmlns='http://jabber.org/protocol/nick'/> child. */
export function parseNick(parent: Element | undefined): string | undefined {
  const nick = parent?.getChild('nick', NS_NICK);
  return nick ? cleanNick(nick.text()) : undefined;
}

export function nickElement(nick: string): Element {
  return xml('nick', { xmlns: NS_NICK }, nick);
}

/** Nicknames known for this session: contacts', requesters', and this account's own. */
export class Nicknames {
  readonly #session: XmppSession;
  readonly #account: string;
  readonly #known = new Map<string, string>();
  readonly #listeners = new Set<(jid: string, nick: string | undefined) => void>();

  constructor(session: XmppSession, account: string) {
    this.#session = session;
    this.#account = account;
  }

  /** The nickname `jid` gave themselves, as last heard. */
  get(jid: string): string | undefined {
    return this.#known.get(bareJid(jid));
  }

  /** This account's own nickname, once published or read (fetch(account)). */
  own(): string | undefined {
    return this.#known.get(this.#account);
  }

  onChange(listener: (jid: string, nick: string | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Reads what a stanza says about nicknames: a subscription request carrying one (XEP-0172 §4.1),
   * or a PEP notification of the nick node from the account that owns it (§4.3). Everything else,
   * and a nick node pushed by anyone but its owner, is ignored.
   */
  handleStanza(stanza: Element): void {
    const from = stanza.attrs.from;
    if (!from) return;
    const jid = bareJid(from);
    if (stanza.is('presence') && stanza.attrs.type === 'subscribe') {
      const nick = parseNick(stanza);
      if (nick) this.#set(jid, nick);
      return;
    }
    if (!stanza.is('message')) return;
    // PEP notifications come from the owner's bare JID.
    if (from.includes('/')) return;
    const items = stanza.getChild('event', NS_PUBSUB_EVENT)?.getChild('items');
    if (items?.attrs.node !== NS_NICK) return;
    if (items.getChild('retract')) return this.#set(jid, undefined);
    const item = items.getChild('item');
    if (item) this.#set(jid, parseNick(item));
  }

  /**
   * Reads `jid`'s published nickname (their PEP node; readable by contacts who see their presence,
   * XEP-0163's default access model). Resolves undefined when there is none or it may not be read.
   */
  async fetch(jid: string): Promise<string | undefined> {
    const address = bareJid(jid);
    let result: Element;
    try {
      result = await this.#session.request(
        xml(
          'iq',
          { type: 'get', ...(address === this.#account ? {} : { to: address }) },
          xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: NS_NICK, max_items: '1' })),
        ),
      );
    } catch {
      return this.get(address);
    }
    const item = result.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChild('item');
    const nick = parseNick(item);
    if (nick) this.#set(address, nick);
    return nick ?? this.get(address);
  }

  /**
   * Publishes this account's nickname on its PEP node (XEP-0172 §4.2); an empty one retracts it.
   * Throws InvalidUsername for a name that is nothing but white space or control characters, and
   * NotAllowed (or what else contactsError makes of it) when the server refuses.
   */
  async publish(nick: string): Promise<string | undefined> {
    if (nick.trim() === '') {
      await this.#pubsub(
        xml('retract', { node: NS_NICK, notify: 'true' }, xml('item', { id: 'current' })),
      ).catch(() => undefined);
      this.#set(this.#account, undefined);
      return undefined;
    }
    const cleaned = cleanNick(nick);
    if (!cleaned) throw new HushError('InvalidUsername', 'That name has no letters to show.');
    await this.#pubsub(
      xml('publish', { node: NS_NICK }, xml('item', { id: 'current' }, nickElement(cleaned))),
    );
    this.#set(this.#account, cleaned);
    return cleaned;
  }

  async #pubsub(child: Element): Promise<void> {
    try {
      await this.#session.request(
        xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, child)),
      );
    } catch (error) {
      throw contactsError(error, 'publish your name');
    }
  }

  #set(jid: string, nick: string | undefined): void {
    if (this.#known.get(jid) === nick) return;
    if (nick === undefined) this.#known.delete(jid);
    else this.#known.set(jid, nick);
    for (const listener of this.#listeners) listener(jid, nick);
  }
}
