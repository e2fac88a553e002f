// XEP-0191 Blocking Command — https://xmpp.org/extensions/xep-0191.html
// The account's block list on its server: block, unblock and read it.
import xml, { type Element } from '@xmpp/xml';
import type { XmppSession } from '../xmpp/session.ts';
import { contactsError } from './contacts-error.ts';

export const NS_BLOCKING = 'urn:xmpp:blocking';

/** Blocks (XEP-0191 §3.3) or unblocks (§3.4) one bare address; `action` names it for errors. */
export async function changeBlocking(
  session: XmppSession,
  name: 'block' | 'unblock',
  jid: string,
  action: string,
): Promise<void> {
  try {
    await session.request(
      xml('iq', { type: 'set' }, xml(name, { xmlns: NS_BLOCKING }, xml('item', { jid }))),
    );
  } catch (error) {
    throw contactsError(error, action);
  }
}

/** The addresses the account blocks (XEP-0191 §3.2). */
export async function blockedAddresses(session: XmppSession): Promise<readonly string[]> {
  let result: Element;
  try {
    result = await session.request(
      xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS_BLOCKING })),
    );
  } catch (error) {
    throw contactsError(error, 'read the block list');
  }
  return (result.getChild('blocklist', NS_BLOCKING)?.getChildren('item') ?? [])
    .map((item) => item.attrs.jid?.toLowerCase())
    .filter((jid): jid is string => jid !== undefined && jid !== '');
}
