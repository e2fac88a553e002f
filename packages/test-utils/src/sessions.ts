// XMPP sessions a test file opens on a throwaway server and closes together once its tests are
// done. Kept out of the package's main entry, which does not load core.
import { openSession, type XmppSession } from '@hush/core';
import type { ProsodyServer } from './prosody.ts';

export interface TestSessions {
  /** Logs in over the server's WebSocket. */
  open(jid: string, password: string): Promise<XmppSession>;
  /** Closes every session open() opened, all at once. */
  closeAll(): Promise<void>;
}

/** `server` is read at each login: test files start their server in before(). */
export function testSessions(server: () => Pick<ProsodyServer, 'websocketUrl'>): TestSessions {
  const opened: XmppSession[] = [];
  return {
    async open(jid, password) {
      const session = await openSession({ service: server().websocketUrl, jid, password });
      opened.push(session);
      return session;
    },
    async closeAll() {
      await Promise.all(opened.map((session) => session.close()));
    },
  };
}
