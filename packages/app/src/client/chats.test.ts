import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMemoryStorage,
  isHushError,
  type Contact,
  type Contacts,
  type Messenger,
  type MessengerEvent,
  type StoredMessage,
} from '@hush/core';
import { ChatStore, TYPING_EXPIRES_MS, type Reporter } from './chats.ts';

const me = 'alice@example.org';

function message(id: string, peer: string, timestamp: number, fields: Partial<StoredMessage> = {}) {
  return {
    id,
    account: me,
    peer,
    direction: 'in',
    body: `body ${id}`,
    timestamp,
    state: 'received',
    encrypted: true,
    ...fields,
  } satisfies StoredMessage;
}

describe('ChatStore', () => {
  it('lists conversations newest first with unread counts, from storage', async () => {
    const storage = createMemoryStorage();
    await storage.messages.add(message('1', 'bob@example.org', 10));
    await storage.messages.add(message('2', 'carol@example.org', 20));
    await storage.messages.add(message('3', 'bob@example.org', 30));
    await storage.messages.add(
      message('4', 'carol@example.org', 5, { direction: 'out', state: 'read' }),
    );
    const chats = new ChatStore(storage, me);
    let notified = 0;
    chats.subscribe(() => notified++);
    await chats.refresh();
    const { items, loaded } = chats.getSnapshot();
    assert.equal(loaded, true);
    assert.deepEqual(
      items.map((i) => [i.peer, i.lastMessage?.id, i.unread]),
      [
        ['bob@example.org', '3', 2],
        ['carol@example.org', '2', 1],
      ],
    );
    assert.equal(notified, 1);
  });

  it('pages a conversation, oldest first, and says when there is more', async () => {
    const storage = createMemoryStorage();
    for (let i = 0; i < 120; i++)
      await storage.messages.add(message(`m${i}`, 'bob@example.org', i));
    const thread = new ChatStore(storage, me).thread('bob@example.org');
    await thread.refresh();
    let snapshot = thread.getSnapshot();
    assert.equal(snapshot.messages.length, 50);
    assert.equal(snapshot.messages.at(-1)?.id, 'm119');
    assert.equal(snapshot.hasOlder, true);
    await thread.loadOlder();
    await thread.loadOlder();
    snapshot = thread.getSnapshot();
    assert.equal(snapshot.messages.length, 120);
    assert.equal(snapshot.messages[0]?.id, 'm0');
    assert.equal(snapshot.hasOlder, false);
  });

  it('refreshes once more when asked again while refreshing, never twice at once', async () => {
    const storage = createMemoryStorage();
    const chats = new ChatStore(storage, me);
    const first = chats.refresh();
    await storage.messages.add(message('late', 'dave@example.org', 1));
    const second = chats.refresh();
    await Promise.all([first, second]);
    assert.deepEqual(
      chats.getSnapshot().items.map((i) => i.peer),
      ['dave@example.org'],
    );
  });

  it('knows who is typing: composing until paused, a message from them, or the expiry', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const chats = new ChatStore(createMemoryStorage(), me);
    let emit: (event: MessengerEvent) => void = () => undefined;
    const messenger = {
      subscribe(listener: (event: MessengerEvent) => void) {
        emit = listener;
        return () => undefined;
      },
    } as unknown as Messenger;
    const none = () => () => undefined;
    const contacts = {
      onChange: none,
      onRequest: none,
      onPresence: none,
      blocked: async () => [],
      contacts: () => [],
      requests: () => [],
      available: () => false,
    } as unknown as Contacts;
    const stop = chats.attach(messenger, contacts);
    const typing = () => chats.getSnapshot().typing;

    emit({ type: 'chat-state', peer: 'bob@example.org', state: 'composing' });
    emit({ type: 'chat-state', peer: 'carol@example.org', state: 'composing' });
    assert.deepEqual(typing(), ['bob@example.org', 'carol@example.org']);
    emit({ type: 'chat-state', peer: 'bob@example.org', state: 'paused' });
    assert.deepEqual(typing(), ['carol@example.org']);
    emit({ type: 'message', message: message('x', 'carol@example.org', 1) });
    assert.deepEqual(typing(), []);

    // A composing that is never followed by anything (their app closed) does not stay forever.
    emit({ type: 'chat-state', peer: 'bob@example.org', state: 'composing' });
    t.mock.timers.tick(TYPING_EXPIRES_MS - 1);
    assert.deepEqual(typing(), ['bob@example.org']);
    t.mock.timers.tick(1);
    assert.deepEqual(typing(), []);
    stop();
  });

  describe('strangers', () => {
    const quiet = { subscribe: () => () => undefined } as unknown as Messenger;
    const contact = (jid: string): Contact => ({
      jid,
      subscription: 'both',
      ask: false,
      approved: true,
      groups: [],
    });
    /** A roster of `known`, with what the store asked of it. */
    function fakeContacts(known: string[]) {
      const roster = known.map(contact);
      const blocked: string[] = [];
      const changed = new Set<() => void>();
      const contacts = {
        onChange: (listener: () => void) => (changed.add(listener), () => changed.delete(listener)),
        onRequest: () => () => undefined,
        onPresence: () => () => undefined,
        blocked: async () => [...blocked],
        contacts: () => roster,
        requests: () => [],
        available: () => false,
        async add(jid: string) {
          roster.push(contact(jid));
          for (const listener of changed) listener();
          return contact(jid);
        },
        async block(jid: string) {
          blocked.push(jid);
        },
      } as unknown as Contacts;
      return { contacts, blocked };
    }
    const peers = (items: readonly { peer: string }[] | undefined) =>
      (items ?? []).map((item) => item.peer);

    async function storeWith(known: string[], reporter?: Reporter) {
      const storage = createMemoryStorage();
      await storage.messages.add(message('1', 'bob@example.org', 10));
      await storage.messages.add(message('2', 'spam@example.net', 20, { stanzaId: 'sid-2' }));
      await storage.messages.add(message('3', 'spam@example.net', 21, { stanzaId: 'sid-3' }));
      // Someone not in the contacts, but this account wrote to them: a chat.
      await storage.messages.add(message('4', 'old@example.org', 5, { direction: 'out' }));
      await storage.messages.add(message('5', 'old@example.org', 30));
      const chats = new ChatStore(storage, me);
      await chats.refresh();
      const fake = fakeContacts(known);
      const stop = chats.attach(quiet, fake.contacts, reporter);
      await chats.refresh();
      return { chats, stop, ...fake };
    }

    it('shows a conversation a stranger started as a request, not a chat', async () => {
      const storage = createMemoryStorage();
      await storage.messages.add(message('1', 'spam@example.net', 20));
      const offline = new ChatStore(storage, me);
      await offline.refresh();
      // Offline the roster is unknown: every conversation is a chat.
      assert.deepEqual(peers(offline.getSnapshot().items), ['spam@example.net']);

      const { chats, stop } = await storeWith(['bob@example.org']);
      const snapshot = chats.getSnapshot();
      assert.deepEqual(peers(snapshot.items), ['old@example.org', 'bob@example.org']);
      assert.deepEqual(peers(snapshot.strangers), ['spam@example.net']);
      assert.equal(snapshot.strangers?.[0]?.lastMessage?.id, '3');
      stop();
    });

    it('adds a stranger: their conversation joins the chats', async () => {
      const { chats, stop } = await storeWith(['bob@example.org']);
      await chats.addStranger('spam@example.net');
      await chats.refresh();
      assert.deepEqual(peers(chats.getSnapshot().strangers), []);
      assert.ok(peers(chats.getSnapshot().items).includes('spam@example.net'));
      stop();
    });

    it('blocks a stranger: their request is gone, their history stays', async () => {
      const { chats, stop, blocked } = await storeWith([]);
      await chats.block('spam@example.net');
      assert.deepEqual(blocked, ['spam@example.net']);
      assert.deepEqual(chats.getSnapshot().blocked, ['spam@example.net']);
      assert.deepEqual(peers(chats.getSnapshot().strangers), ['bob@example.org']);
      assert.equal(chats.thread('spam@example.net').getSnapshot().messages.length, 0);
      await chats.thread('spam@example.net').refresh();
      assert.equal(chats.thread('spam@example.net').getSnapshot().messages.length, 2);
      stop();
    });

    it('reports only where the server takes reports, with the messages reported', async () => {
      const plain = await storeWith([]);
      assert.notEqual(plain.chats.getSnapshot().canReport, true);
      await assert.rejects(plain.chats.report('spam@example.net'), (error: unknown) =>
        isHushError(error, 'NotAllowed'),
      );
      plain.stop();

      const reports: { jid: string; stanzaIds: readonly string[] | undefined }[] = [];
      const server: { contacts?: Contacts } = {};
      const reporter: Reporter = {
        supported: async () => true,
        async report(jid, report) {
          reports.push({ jid, stanzaIds: report?.stanzaIds });
          // The server blocks whom it is told about.
          await server.contacts?.block(jid);
        },
      };
      const taking = await storeWith([], reporter);
      server.contacts = taking.contacts;
      const { chats } = taking;
      assert.equal(chats.getSnapshot().canReport, true);
      await chats.report('spam@example.net');
      assert.deepEqual(reports, [{ jid: 'spam@example.net', stanzaIds: ['sid-2', 'sid-3'] }]);
      assert.deepEqual(peers(chats.getSnapshot().strangers), ['bob@example.org']);
      taking.stop();
      assert.equal(chats.getSnapshot().canReport, false);
    });
  });
});
