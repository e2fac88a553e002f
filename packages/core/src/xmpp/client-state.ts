// XEP-0352 Client State Indication — https://xmpp.org/extensions/xep-0352.html
// Tells the server whether someone is looking at the app, so it can hold back noise, and says it
// again on every new stream (the server forgets it with the stream).
import type { XmppClient } from '@xmpp/client';
import xml from '@xmpp/xml';

export const NS_CSI = 'urn:xmpp:csi:0';

export type ClientState = 'active' | 'inactive';

export interface ClientStateIndication {
  /** Sends the state now when the stream is online (and the server offers CSI), and keeps it. */
  set(state: ClientState): Promise<void>;
  /** From now on, an idle app says 'inactive' again on each new stream. */
  repeatOnNewStreams(): void;
}

/** Watches the stream features for CSI; call it before the session starts. */
export function clientStateIndication(xmpp: XmppClient): ClientStateIndication {
  let offered = false;
  let state: ClientState = 'active';
  xmpp.on('nonza', (element) => {
    if (element.is('features', 'http://etherx.jabber.org/streams'))
      offered = element.getChild('csi', NS_CSI) !== undefined;
  });
  return {
    async set(next) {
      state = next;
      // Only when the server offered CSI; otherwise the hint is meaningless and would be an error.
      if (offered && xmpp.status === 'online') await xmpp.send(xml(next, { xmlns: NS_CSI }));
    },
    repeatOnNewStreams() {
      // A new stream (not a resumed one) starts 'active' on the server.
      xmpp.on('online', () => {
        if (state === 'inactive' && offered)
          xmpp.send(xml('inactive', { xmlns: NS_CSI })).catch(() => undefined);
      });
    },
  };
}
