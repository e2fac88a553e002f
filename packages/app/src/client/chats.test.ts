import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMemoryStorage,
  type Contacts,
  type Messenger,
  type MessengerEvent,
  type StoredMessage,
} from '@hush/core';
import { ChatStore, TYPING_EXPIRES_MS } from './chats.ts';

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
});
