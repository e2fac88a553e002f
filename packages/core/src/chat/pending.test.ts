// getSnapshot().pending against the outbox, with no server: a stand-in session (always online, an
// empty archive) and a storage that fails or answers late where a test says so. Whatever changes the
// outbox, subscribers hear the new count, and the snapshot ends where the outbox is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import xml, { type Element } from '@xmpp/xml';
import { until } from '@hush/test-utils';
import type { XmppSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import type { OutboxStore, Storage, StoredMessage } from '../storage/types.ts';
import { buildChatMessage } from './build.ts';
import { Messenger, type MessengerEvent } from './messenger.ts';

const ACCOUNT = 'amy@localhost';
const PEER = 'bob@localhost';

/** What the Messenger uses of a session; stream management's events are the test's to emit. */
function standInSession() {
  const client = Object.assign(new EventEmitter(), {
    status: 'online',
    options: { service: 'wss://localhost/ws' },
    streamManagement: new EventEmitter(),
  });
  const session = {
    jid: `${ACCOUNT}/phone`,
    client,
    send: async () => undefined,
    // Carbons enabled; the archive answers an empty, complete page.
    request: async () => xml('iq', { type: 'result' }),
    onStanza: () => () => undefined,
  };
  // The stand-in has only the members the Messenger reads.
  return { session: session as unknown as XmppSession, ack: client.streamManagement };
}

/** `storage` with its outbox methods replaced by `outbox`'s where it has them. */
function withOutbox(storage: Storage, outbox: Partial<OutboxStore>): Storage {
  const inner = storage.outbox;
  return {
    ...storage,
    outbox: {
      put: outbox.put ?? ((entry) => inner.put(entry)),
      remove: outbox.remove ?? ((account, id) => inner.remove(account, id)),
      list: outbox.list ?? ((account) => inner.list(account)),
      update: outbox.update ?? ((account, id, changes) => inner.update(account, id, changes)),
    },
  };
}

function outgoing(id: string, state: StoredMessage['state'], timestamp: number): StoredMessage {
  return {
    id,
    account: ACCOUNT,
    peer: PEER,
    direction: 'out',
    body: id,
    timestamp,
    originId: id,
    state,
    encrypted: false,
  };
}

test('a resend that fails part way still counts what it removed from the outbox', async () => {
  const memory = createMemoryStorage();
  // Delivered before the ack came (its entry is dropped by the resend), then one still to send.
  for (const [message, createdAt] of [
    [outgoing('delivered-1', 'delivered', 1), 1],
    [outgoing('waiting-2', 'sent', 2), 2],
  ] as const) {
    await memory.messages.add(message);
    await memory.outbox.put({
      id: message.id,
      account: ACCOUNT,
      messageId: message.id,
      stanzaXml: buildChatMessage({ to: PEER, id: message.id, body: message.body }).toString(),
      attempts: 1,
      createdAt,
    });
  }
  const storage = withOutbox(memory, {
    update: async () => {
      throw new Error('disk full');
    },
  });
  const messenger = new Messenger({ session: standInSession().session, storage });
  const events: MessengerEvent[] = [];
  messenger.subscribe((event) => events.push(event));
  await assert.rejects(messenger.start(), /disk full/);
  await messenger.close();

  const left = (await memory.outbox.list(ACCOUNT)).length;
  assert.equal(left, 1, 'the delivered entry went, the other stayed');
  assert.equal(messenger.getSnapshot().pending, left, 'the snapshot counts what is left');
  assert.deepEqual(
    events.flatMap((event) => (event.type === 'pending' ? [event.pending] : [])),
    [left],
    'subscribers heard it',
  );
});

test('a count of the outbox that answers late never overwrites a newer one', async () => {
  const memory = createMemoryStorage();
  // While `late` is set, the next list reads the outbox at once but answers only when released,
  // as a storage that reads in parallel can.
  let late: { read: () => void; release: Promise<void> } | undefined;
  let lists = 0;
  const storage = withOutbox(memory, {
    list: async (account) => {
      const entries = await memory.outbox.list(account);
      lists++;
      const held = late;
      late = undefined;
      if (held) {
        held.read();
        await held.release;
      }
      return entries;
    },
  });
  const { session, ack } = standInSession();
  const messenger = new Messenger({ session, storage, newId: counter() });
  await messenger.start();
  const first = await messenger.sendText(PEER, 'first');
  assert.equal(messenger.getSnapshot().pending, 1);

  let release: () => void = () => undefined;
  const read = new Promise<void>((resolve) => {
    late = { read: resolve, release: new Promise<void>((done) => (release = done)) };
  });
  const second = messenger.sendText(PEER, 'second');
  await read; // the second's count (2) is read and held back
  const listsBeforeAck = lists;
  ack.emit('ack', stanzaOf(first));
  await until(
    async () => lists > listsBeforeAck && (await memory.outbox.list(ACCOUNT)).length === 1,
    "the first's ack counted",
  );
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await second;
  await messenger.close();

  assert.equal((await memory.outbox.list(ACCOUNT)).length, 1, 'the second waits for its ack');
  assert.equal(messenger.getSnapshot().pending, 1, 'the snapshot agrees');
});

function counter(): () => string {
  let next = 0;
  return () => `message-${++next}`;
}

function stanzaOf(message: StoredMessage): Element {
  return buildChatMessage({ to: message.peer, id: message.id, body: message.body });
}

test('an outbox entry whose stanza no longer reads is built again from its message, and the ones behind it still go', async () => {
  const memory = createMemoryStorage();
  for (const [message, stanzaXml] of [
    [outgoing('damaged-1', 'pending', 1), '<message to="bob@localhost" id="damaged-1"><bo'],
    [outgoing('damaged-2', 'pending', 2), '%%%'],
    [
      outgoing('waiting-3', 'pending', 3),
      buildChatMessage({ to: PEER, id: 'waiting-3', body: 'waiting-3' }).toString(),
    ],
  ] as const) {
    await memory.messages.add(message);
    await memory.outbox.put({
      id: message.id,
      account: ACCOUNT,
      messageId: message.id,
      stanzaXml,
      attempts: 1,
      createdAt: message.timestamp,
    });
  }
  const { session } = standInSession();
  const sent: string[] = [];
  session.send = async (stanza: Element) => {
    if (stanza.is('message'))
      sent.push(`${stanza.attrs.id ?? ''}: ${stanza.getChildText('body') ?? ''}`);
  };
  const messenger = new Messenger({ session, storage: memory });
  await messenger.start();
  await messenger.close();
  assert.deepEqual(
    sent,
    ['damaged-1: damaged-1', 'damaged-2: damaged-2', 'waiting-3: waiting-3'],
    'all went whole, in order',
  );
  assert.deepEqual(
    await memory.outbox.list(ACCOUNT).then((left) => left.length),
    3,
    'each waits for its ack',
  );
});
