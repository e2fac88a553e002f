// The account's other devices coming online. A server learns which of a session's PEP nodes to push
// (XEP-0163 +notify) from its entity capabilities (XEP-0115), which it caches as it meets them. In
// an ejabberd cluster that cache is per node: a device that publishes on a node that has not yet met
// this client's capabilities (its own presence comes after its first publish) notifies nothing to
// this device on another node. Its presence does reach this device, after that publish, so this
// device reads again what it must not miss (the account's OMEMO device list) when another device of
// the account comes online.
import type { Element } from '@xmpp/xml';
import { bareJid } from '../util/jid.ts';
import type { XmppSession } from './session.ts';

/**
 * Calls `onArrival` with the full JID of each other device of this account that comes online
 * (available presence from a resource not online before); returns the function that stops it.
 */
export function watchOwnResources(
  session: XmppSession,
  onArrival: (fullJid: string) => void,
): () => void {
  const online = new Set<string>();
  const own = () => bareJid(session.jid);
  const self = () => session.client.jid?.toString() ?? session.jid;
  const listener = (stanza: Element) => {
    const from = stanza.attrs.from;
    if (!stanza.is('presence') || !from || !from.includes('/')) return;
    if (bareJid(from) !== own() || from === self()) return;
    const type = stanza.attrs.type;
    if (type === 'unavailable' || type === 'error') {
      online.delete(from);
    } else if (type === undefined && !online.has(from)) {
      online.add(from);
      onArrival(from);
    }
  };
  // A new stream of this device: the others announce themselves again.
  const reset = () => online.clear();
  session.client.on('online', reset);
  const stop = session.onStanza(listener);
  return () => {
    stop();
    session.client.removeListener('online', reset);
  };
}
