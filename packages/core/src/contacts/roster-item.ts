// RFC 6121 §2.1 roster items — https://www.rfc-editor.org/rfc/rfc6121#section-2.1
// A roster item as the network sends it, read into a Contact; anything that does not fit is null,
// never thrown.
import type { Element } from '@xmpp/xml';
import type { Contact, Subscription } from './types.ts';

export const NS_ROSTER = 'jabber:iq:roster';

const SUBSCRIPTIONS: readonly Subscription[] = ['none', 'to', 'from', 'both'];

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

/** A contact not (yet) in the roster as the server last sent it. */
export function placeholderContact(jid: string, name?: string): Contact {
  return {
    jid,
    ...(name ? { name } : {}),
    subscription: 'none',
    ask: false,
    approved: false,
    groups: [],
  };
}
