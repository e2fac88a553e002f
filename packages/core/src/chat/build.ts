// Outgoing chat stanzas: messages carry an origin-id (XEP-0359), ask for a receipt (XEP-0184), are
// markable (XEP-0333), say the sender is active (XEP-0085) and ask to be archived (XEP-0334).
import xml, { type Element } from '@xmpp/xml';
import { NS_CHATSTATES, NS_HINTS, NS_MARKERS, NS_RECEIPTS, NS_SID } from './namespaces.ts';
import type { ChatState } from './types.ts';

export function buildChatMessage(message: { to: string; id: string; body: string }): Element {
  return xml(
    'message',
    { to: message.to, type: 'chat', id: message.id },
    xml('body', {}, message.body),
    // The origin-id equals the stanza id, so a receipt or marker for either finds the message.
    xml('origin-id', { xmlns: NS_SID, id: message.id }),
    xml('request', { xmlns: NS_RECEIPTS }),
    xml('markable', { xmlns: NS_MARKERS }),
    xml('active', { xmlns: NS_CHATSTATES }),
    xml('store', { xmlns: NS_HINTS }),
  );
}

/** XEP-0184: the receipt echoes the received stanza's id. */
export function buildReceipt(to: string, id: string): Element {
  return xml(
    'message',
    { to, type: 'chat' },
    xml('received', { xmlns: NS_RECEIPTS, id }),
    xml('store', { xmlns: NS_HINTS }),
  );
}

/** XEP-0333: everything up to and including `id` has been displayed. */
export function buildDisplayed(to: string, id: string): Element {
  return xml(
    'message',
    { to, type: 'chat' },
    xml('displayed', { xmlns: NS_MARKERS, id }),
    xml('store', { xmlns: NS_HINTS }),
  );
}

/** XEP-0085: standalone chat states are not worth archiving. */
export function buildChatState(to: string, state: ChatState): Element {
  return xml(
    'message',
    { to, type: 'chat' },
    xml(state, { xmlns: NS_CHATSTATES }),
    xml('no-store', { xmlns: NS_HINTS }),
  );
}
