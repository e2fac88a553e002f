// Node 22's WebSocket (undici 6) fires 'error' but never 'close' when the handshake fails (the server
// is down, refuses, or answers without 101): https://github.com/nodejs/undici/issues/3546, fixed in
// undici 7. xmpp.js reconnects on 'close' only, so after one failed attempt it would wait forever in
// "connecting". Browsers and React Native follow the standard (error, then close); this restores it
// on Node.

const fixed = new WeakSet<object>();

export function fireCloseOnFailedHandshake(): void {
  const Base = globalThis.WebSocket as typeof WebSocket | undefined;
  if (!Base || fixed.has(Base)) return;
  class ClosingWebSocket extends Base {
    constructor(...init: ConstructorParameters<typeof WebSocket>) {
      super(...init);
      let opened = false;
      let closed = false;
      this.addEventListener('open', () => (opened = true));
      this.addEventListener('close', () => (closed = true));
      this.addEventListener('error', () => {
        if (opened) return;
        // A standard implementation fires close right after; give it the chance first.
        setTimeout(() => {
          if (closed) return;
          closed = true;
          const event = new Event('close');
          Object.assign(event, { code: 1006, reason: '', wasClean: false });
          this.dispatchEvent(event);
        }, 0);
      });
    }
  }
  fixed.add(ClosingWebSocket);
  globalThis.WebSocket = ClosingWebSocket;
}
