// Delivery across server restarts and lost acks, against a real Prosody: after a new stream (the
// server forgot the old one, so nothing could be resumed) a client must do everything a first start
// does and receive live messages again; a message the peer confirmed leaves the outbox even when the
// server's ack never came; and a conversation reads in each sender's send order through cuts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, startTcpProxy, until, type TcpProxy } from '@hush/test-utils';
import type { EventEmitter } from 'node:events';
import type { Element } from '@xmpp/xml';
import { openSession, type XmppSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import type { Storage } from '../storage/types.ts';
import { startClient, type HushClient } from '../client.ts';
import { Messenger, writeForLater } from './messenger.ts';

const PASSWORD = 'restart-test-password';
let proxy: TcpProxy;
const open: { close(): Promise<void> }[] = [];

const suite = serverSuite({
  started: async (server) => {
    proxy = await startTcpProxy(server.ports.c2sTls);
  },
  server: { settings: { C2S_RATE: '10mb/s' } },
  accounts: ['amy', 'bob', 'cid', 'dee', 'eve', 'fay'],
  password: PASSWORD,
  closeFirst: async () => {
    for (const item of open.splice(0).reverse()) await item.close().catch(() => undefined);
    await proxy?.close();
  },
});

async function connect(
  name: string,
  service = suite.server.websocketUrl,
  resource = `${name}-device`,
): Promise<XmppSession> {
  const session = await openSession({
    service,
    jid: `${name}@localhost`,
    password: PASSWORD,
    resource,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
  });
  open.push(session);
  return session;
}

async function device(name: string, storage: Storage = createMemoryStorage()) {
  const session = await connect(name);
  const client = await startClient({ session, storage, encryption: false });
  open.push(client);
  return { session, client, storage };
}

async function received(storage: Storage, account: string, peer: string, body: string) {
  const history = await storage.messages.history(account, peer, { limit: 1000 });
  return history.some((message) => message.direction === 'in' && message.body === body);
}

/** Resolves after the next new stream (not a resumed one) is up and the Messenger is ready again. */
function nextNewStream(client: HushClient, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `no new stream for ${client.session.jid} within ${timeoutMs / 1000} s (status ${client.session.client.status})`,
          ),
        ),
      timeoutMs,
    );
    const onOnline = () => {
      client.session.client.removeListener('online', onOnline);
      const stop = client.messenger.subscribe((event) => {
        if (event.type === 'status' && event.status === 'ready') {
          stop();
          clearTimeout(timer);
          resolve();
        }
      });
    };
    client.session.client.on('online', onOnline);
  });
}

test('after a server restart both sides get live messages and see each other online, no reload', async () => {
  const amy = await device('amy');
  const bob = await device('bob');
  await amy.client.contacts.add('bob@localhost');
  await bob.client.contacts.add('amy@localhost');
  await until(
    () =>
      amy.client.contacts.available('bob@localhost') &&
      bob.client.contacts.available('amy@localhost'),
    'both online for each other',
  );
  await amy.client.messenger.sendText('bob@localhost', 'before the restart');
  await until(
    () => received(bob.storage, 'bob@localhost', 'amy@localhost', 'before the restart'),
    'the first message',
  );

  for (const kill of [false, true]) {
    const back = Promise.all([nextNewStream(amy.client), nextNewStream(bob.client)]);
    await suite.server.restart({ kill });
    await back;
    // Each side's catch-up is over: what arrives now can only come live.
    const there = `there, after a restart (kill: ${kill})`;
    const back2 = `back, after a restart (kill: ${kill})`;
    await amy.client.messenger.sendText('bob@localhost', there);
    await bob.client.messenger.sendText('amy@localhost', back2);
    await until(
      () => received(bob.storage, 'bob@localhost', 'amy@localhost', there),
      `bob gets '${there}' live`,
      20_000,
    );
    await until(
      () => received(amy.storage, 'amy@localhost', 'bob@localhost', back2),
      `amy gets '${back2}' live`,
      20_000,
    );
    await until(
      () =>
        amy.client.contacts.available('bob@localhost') &&
        bob.client.contacts.available('amy@localhost'),
      'both online for each other again',
      20_000,
    );
  }
});

test('a message the peer confirmed leaves the outbox even when the server never acks it', async () => {
  const cid = await device('cid');
  await device('dee');
  // As when the process exits between the peer's receipt and the server's ack: no ack arrives.
  (cid.session.client.streamManagement as unknown as EventEmitter).removeAllListeners('ack');
  const pendingEvents: number[] = [];
  cid.client.messenger.subscribe((event) => {
    if (event.type === 'pending') pendingEvents.push(event.pending);
  });
  const message = await cid.client.messenger.sendText('dee@localhost', 'confirmed by dee');
  await until(
    async () =>
      (await cid.storage.messages.get('cid@localhost', message.id))?.state === 'delivered',
    'the receipt',
  );
  await until(
    async () => (await cid.storage.outbox.list('cid@localhost')).length === 0,
    'the outbox emptied by the receipt',
    5_000,
  );
  assert.equal(cid.client.messenger.getSnapshot().pending, 0, 'the snapshot says so too');
  assert.deepEqual(pendingEvents, [1, 0], 'and subscribers heard of each change');
});

test('an outbox entry of a message already delivered is never sent again', async () => {
  const storage = createMemoryStorage();
  const stanza = `<message xmlns='jabber:client' to='dee@localhost' type='chat' id='old-1'><body>delivered long ago</body></message>`;
  await storage.messages.add({
    id: 'old-1',
    account: 'cid@localhost',
    peer: 'dee@localhost',
    direction: 'out',
    body: 'delivered long ago',
    timestamp: Date.now() - 60_000,
    originId: 'old-1',
    state: 'delivered',
    encrypted: false,
  });
  await storage.outbox.put({
    id: 'old-1',
    account: 'cid@localhost',
    messageId: 'old-1',
    stanzaXml: stanza,
    attempts: 1,
    createdAt: Date.now() - 60_000,
  });
  const session = await connect('cid');
  const sent: Element[] = [];
  session.client.on('send', (element) => sent.push(element));
  const messenger = new Messenger({ session, storage });
  open.push(messenger);
  await messenger.start();
  assert.deepEqual(
    sent.filter((element) => element.is('message') && element.attrs.id === 'old-1'),
    [],
    'not sent again',
  );
  assert.equal((await storage.outbox.list('cid@localhost')).length, 0, 'the entry is gone');
});

test('through cuts and a server kill, the receiver reads every message once, in send order', async () => {
  const receiver = await device('fay');
  const senderStorage = createMemoryStorage();
  const senderSession = await connect('eve', `xmpps://localhost:${proxy.port}`);
  const sender = new Messenger({ session: senderSession, storage: senderStorage });
  open.push(sender);
  await sender.start();
  const total = 60;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    // Not waiting for each: a person types on while the connection comes and goes.
    sends.push(sender.sendText('fay@localhost', `m${String(i).padStart(3, '0')}`));
    if (i % 7 === 3) proxy.cut();
    if (i === total / 2) await suite.server.restart({ kill: true });
    await new Promise((resolve) => setImmediate(resolve));
    if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, i % 11));
  }
  await Promise.all(sends);
  const expected = Array.from({ length: total }, (_, i) => `m${String(i).padStart(3, '0')}`);
  await until(() => sender.getSnapshot().pending === 0, 'every message acknowledged', 120_000);
  assert.equal((await senderStorage.outbox.list('eve@localhost')).length, 0, 'outbox empty');
  // The server got them in send order: a device that starts now reads them so from the archive.
  const laterStorage = createMemoryStorage();
  const laterSession = await connect('fay', suite.server.websocketUrl, 'fay-later');
  const later = new Messenger({ session: laterSession, storage: laterStorage });
  open.push(later);
  await later.start();
  const archived = (
    await laterStorage.messages.history('fay@localhost', 'eve@localhost', { limit: 1000 })
  ).map((message) => message.body);
  assert.deepEqual(archived, expected, 'the archive holds each once, in send order');
  // The device that was online throughout got them live, through the restart, in the same order.
  await until(
    async () =>
      (
        await receiver.storage.messages.history('fay@localhost', 'eve@localhost', {
          limit: 1000,
        })
      ).length >= total,
    'every message live on the device that stayed',
    60_000,
  );
  const live = (
    await receiver.storage.messages.history('fay@localhost', 'eve@localhost', { limit: 1000 })
  ).map((message) => message.body);
  assert.deepEqual(live, expected, 'once each, in send order');
});

test('a text written to be encrypted never leaves through a plain-text connection', async () => {
  const storage = createMemoryStorage();
  const written = await writeForLater(storage, {
    account: 'cid@localhost',
    peer: 'dee@localhost',
    body: 'for encrypted eyes only',
    id: 'secret-1',
    timestamp: Date.now(),
  });
  const session = await connect('cid', suite.server.websocketUrl, 'cid-plain');
  const sent: Element[] = [];
  session.client.on('send', (element) => sent.push(element));
  const messenger = new Messenger({ session, storage });
  open.push(messenger);
  await messenger.start();
  // A plain message sent after it is not held behind it, and goes out.
  const plain = await messenger.sendText('dee@localhost', 'plain, for a bot');
  await until(
    async () =>
      (await storage.outbox.list('cid@localhost')).every((entry) => entry.id !== plain.id),
    'the plain message acknowledged',
  );
  assert.equal(
    sent.some((element) => element.toString().includes('for encrypted eyes only')),
    false,
    'the encrypted text never went out in the clear',
  );
  assert.equal((await storage.messages.get('cid@localhost', written.id))?.state, 'pending');
  assert.equal((await storage.outbox.list('cid@localhost')).length, 1, 'it waits for encryption');
});
