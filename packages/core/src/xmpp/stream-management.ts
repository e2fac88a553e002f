// XEP-0198 Stream Management — https://xmpp.org/extensions/xep-0198.html
// How a session uses xmpp.js's stream management: acks asked for often enough to notice a silent
// server, a repeated offer on a stream already online kept from xmpp.js, and a session handed out
// only once stream management is on.
import type { XmppClient } from '@xmpp/client';
import type { Element } from '@xmpp/xml';

export const NS_SM = 'urn:xmpp:sm:3';
const NS_STREAMS = 'http://etherx.jabber.org/streams';

/**
 * A server that stops answering without closing the connection (its machine gone, a network cut on
 * the way) shows only through stream management's ack requests: xmpp.js asks every 30 s while idle
 * (250 ms after anything sent) and gives up after 60 s without an answer, so up to 90 s went by
 * before a client moved to another node. Asking every 15 s and giving up after 15 s notices it
 * within 30 s, 15 s after a message; an ack request is some 30 bytes.
 */
const ACK_REQUEST_INTERVAL_MS = 15_000;
const ACK_TIMEOUT_MS = 15_000;

export function askForAcksOften(xmpp: XmppClient): void {
  Object.assign(xmpp.streamManagement, {
    requestAckInterval: ACK_REQUEST_INTERVAL_MS,
    timeout: ACK_TIMEOUT_MS,
  });
}

/**
 * ejabberd 24.12 sends stream features again right after a SASL2 success (XEP-0388 has no stream
 * restart there), offering the stream management that Bind 2 just enabled: xmpp.js would take
 * them for a new stream's, try to resume and then enable, be refused both, and turn stream
 * management off for the session (no acks, no resumption). On a stream already online that
 * offer is dropped before xmpp.js sees it.
 */
export function dropOfferWhenOnline(xmpp: XmppClient): void {
  // xmpp.js's Connection is an EventEmitter; its typings leave prependListener out.
  const first = xmpp as unknown as {
    prependListener(event: 'element', listener: (element: Element) => void): void;
  };
  first.prependListener('element', (element) => {
    if (xmpp.status === 'online' && element.is('features', NS_STREAMS))
      element.children = element.children.filter(
        (child) => typeof child === 'string' || !child.is('sm', NS_SM),
      );
  });
}

/** Whether any stream's features so far offered stream management (watch before the start). */
export function watchOffer(xmpp: XmppClient): () => boolean {
  let offered = false;
  xmpp.on('nonza', (element) => {
    if (element.is('features', NS_STREAMS)) offered ||= element.getChild('sm', NS_SM) !== undefined;
  });
  return () => offered;
}

/**
 * xmpp.js 0.14 resets its inbound stanza counter when <enabled/> arrives, even for stanzas read
 * in the same chunk just before it; its next ack then counts backwards and Prosody kills the
 * stream. Waiting (briefly; a server without XEP-0198 never enables it) until stream management is
 * on keeps callers from sending and receiving in that window.
 */
export async function untilEnabled(xmpp: XmppClient, offered: boolean): Promise<void> {
  if (!offered) return;
  const deadline = Date.now() + 3000;
  while (!xmpp.streamManagement.enabled && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
