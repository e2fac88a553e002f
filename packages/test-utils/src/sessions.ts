// XMPP sessions and Hush clients a test file opens on a throwaway server and closes together once
// its tests are done. Kept out of the package's main entry, which does not load core.
import type { Element } from '@xmpp/xml';
import {
  createMemoryStorage,
  openSession,
  startClient,
  type HushClient,
  type StartClientOptions,
  type Storage,
  type XmppSession,
} from '@hush/core';
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

export interface StartTestClientOptions extends Omit<StartClientOptions, 'session' | 'storage'> {
  /** A new memory storage unless given. */
  storage?: Storage;
  /** Sees the session before the client starts on it (to record or wrap what it sends). */
  prepare?: (session: XmppSession) => void;
}

export interface TestClients {
  /** Logs in as `jid` over the server's WebSocket and starts a Hush client on the session. */
  start(
    jid: string,
    password: string,
    options?: StartTestClientOptions,
  ): Promise<{ client: HushClient; storage: Storage }>;
  /** Stops one client and closes its session, as a device that goes away. */
  stop(client: HushClient): Promise<void>;
  /** Stops every client still running and closes its session, all at once. */
  closeAll(): Promise<void>;
}

/** `server` is read at each start: test files start their server in before(). */
export function testClients(server: () => Pick<ProsodyServer, 'websocketUrl'>): TestClients {
  const running: HushClient[] = [];
  const close = async (client: HushClient) => {
    await client.close();
    await client.session.close();
  };
  return {
    async start(jid, password, { storage = createMemoryStorage(), prepare, ...options } = {}) {
      const session = await openSession({ service: server().websocketUrl, jid, password });
      prepare?.(session);
      const client = await startClient({ ...options, session, storage });
      running.push(client);
      return { client, storage };
    },
    async stop(client) {
      running.splice(running.indexOf(client), 1);
      await close(client);
    },
    async closeAll() {
      await Promise.all(running.map(close));
    },
  };
}

/** Records each stanza `session` sends into `log`, as it goes. */
export function recordSent(session: XmppSession, log: Element[]): void {
  const send = session.send.bind(session);
  session.send = async (stanza: Element) => {
    log.push(stanza);
    await send(stanza);
  };
}
