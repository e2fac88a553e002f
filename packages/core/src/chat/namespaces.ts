// Namespaces of the messaging XEPs the chat layer speaks; each module's spec is linked where it is used.
export const NS_CLIENT = 'jabber:client';
/** XEP-0359 Unique and Stable Stanza IDs — https://xmpp.org/extensions/xep-0359.html */
export const NS_SID = 'urn:xmpp:sid:0';
/** XEP-0184 Message Delivery Receipts — https://xmpp.org/extensions/xep-0184.html */
export const NS_RECEIPTS = 'urn:xmpp:receipts';
/** XEP-0333 Displayed Markers — https://xmpp.org/extensions/xep-0333.html */
export const NS_MARKERS = 'urn:xmpp:chat-markers:0';
/** XEP-0085 Chat State Notifications — https://xmpp.org/extensions/xep-0085.html */
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
/** XEP-0280 Message Carbons — https://xmpp.org/extensions/xep-0280.html */
export const NS_CARBONS = 'urn:xmpp:carbons:2';
/** XEP-0297 Stanza Forwarding — https://xmpp.org/extensions/xep-0297.html */
export const NS_FORWARD = 'urn:xmpp:forward:0';
/** XEP-0313 Message Archive Management — https://xmpp.org/extensions/xep-0313.html */
export const NS_MAM = 'urn:xmpp:mam:2';
/** XEP-0203 Delayed Delivery — https://xmpp.org/extensions/xep-0203.html */
export const NS_DELAY = 'urn:xmpp:delay';
/** XEP-0334 Message Processing Hints — https://xmpp.org/extensions/xep-0334.html */
export const NS_HINTS = 'urn:xmpp:hints';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
