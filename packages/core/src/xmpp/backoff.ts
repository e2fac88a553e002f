// How long a session waits before each reconnection: exponential backoff from `initialDelayMs` up
// to `maxDelayMs`, back to the start once the network is known to be back.
import type { XmppClient } from '@xmpp/client';

export function backOffReconnections(
  xmpp: XmppClient,
  options: { readonly initialDelayMs?: number; readonly maxDelayMs?: number } = {},
): void {
  const initialDelay = options.initialDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 60_000;
  // xmpp.js waits `reconnect.delay` before each attempt; its own listener has already read the delay
  // for this attempt when ours runs, so ours sets the next one.
  xmpp.reconnect.delay = initialDelay;
  xmpp.on('disconnect', () => {
    xmpp.reconnect.delay = Math.min(xmpp.reconnect.delay * 2, maxDelay);
  });
  const resetBackoff = () => {
    xmpp.reconnect.delay = initialDelay;
  };
  xmpp.on('online', resetBackoff);
  xmpp.streamManagement.on('resumed', resetBackoff);
  // A stream that opened reached the server: the network is back, so the next cut starts the
  // backoff over. Without this, a storm of cuts (each before 'online') left the delay at its
  // maximum long after the network was stable.
  // Only a stream inside TLS counts: a man in the middle that strips STARTTLS must not earn a
  // retry every second.
  xmpp.on('status', (status: string) => {
    if (status === 'open' && xmpp.isSecure()) resetBackoff();
  });
}
