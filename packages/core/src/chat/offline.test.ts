// Writing while offline, against a real Prosody: messages written with the connection down (a cut
// at the fault proxy, or an app started with no network and no Messenger at all) stay pending in
// the outbox unencrypted, and are encrypted with OMEMO and sent in order once the stream is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverSuite, startTcpProxy, until, type TcpProxy } from '@hush/test-utils';
import { openSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import type { Storage, StoredMessage } from '../storage/types.ts';
import { startClient, type HushClient } from '../client.ts';
import { AWAITING_ENCRYPTION, writeForLater } from './messenger.ts';

const PASSWORD = 'offline-test-password';
let proxy: TcpProxy;
const open: HushClient[] = [];

const suite = serverSuite({
  started: async (server) => {
    proxy = await startTcpProxy(server.ports.c2sTls);
  },
  accounts: ['ann', 'ben', 'cat', 'dan'],
  password: PASSWORD,
  closeFirst: async () => {
    await Promise.all(open.map(async (c) => (await c.close(), await c.session.close())));
    await proxy?.close();
  },
});

async function device(name: string, storage: Storage, viaProxy = false): Promise<HushClient> {
  const session = await openSession({
    service: viaProxy ? `xmpps://localhost:${proxy.port}` : suite.server.websocketUrl,
    jid: `${name}@localhost`,
    password: PASSWORD,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
  });
  const client = await startClient({ session, storage });
  open.push(client);
  return client;
}

const bodies = (messages: StoredMessage[], direction: 'in' | 'out') =>
  messages.filter((m) => m.direction === direction).map((m) => m.body);

async function serverFiles(): Promise<string> {
  let text = '';
  for (const dir of [suite.server.dataDir, suite.server.logDir]) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'latin1');
    }
  }
  return text;
}

test('written during a cut: pending and unencrypted in the outbox, then encrypted and delivered in order', async () => {
  const benStorage = createMemoryStorage();
  await device('ben', benStorage);
  const annStorage = createMemoryStorage();
  const ann = await device('ann', annStorage, true);
  // A first message builds the OMEMO sessions both ways.
  await ann.messenger.sendText('ben@localhost', 'before the cut');
  await until(
    async () =>
      bodies(
        await benStorage.messages.history('ben@localhost', 'ann@localhost', { limit: 100 }),
        'in',
      ).length === 1,
    'the first message',
  );
  await until(() => ann.messenger.getSnapshot().pending === 0, "the server's ack");

  proxy.refuse(true);
  proxy.cut();
  await until(() => ann.session.client.status !== 'online', 'the cut to be noticed');
  const written: StoredMessage[] = [];
  for (const n of [1, 2, 3]) {
    written.push(await ann.messenger.sendText('ben@localhost', `offline secret ${n}`));
  }
  assert.deepEqual(
    written.map((m) => m.state),
    ['pending', 'pending', 'pending'],
  );
  const waiting = await annStorage.outbox.list('ann@localhost');
  assert.deepEqual(
    waiting.map((e) => [e.messageId, e.stanzaXml]),
    written.map((m) => [m.id, AWAITING_ENCRYPTION]),
    'kept in the outbox, to be encrypted once connected',
  );
  assert.equal(ann.messenger.getSnapshot().pending, 3);

  proxy.refuse(false);
  await until(
    async () =>
      bodies(
        await benStorage.messages.history('ben@localhost', 'ann@localhost', { limit: 100 }),
        'in',
      ).length === 4 || undefined,
    'the offline messages at ben',
    20_000,
  );
  const got = await benStorage.messages.history('ben@localhost', 'ann@localhost', { limit: 100 });
  assert.deepEqual(bodies(got, 'in'), [
    'before the cut',
    'offline secret 1',
    'offline secret 2',
    'offline secret 3',
  ]);
  assert.ok(
    got.every((m) => m.encrypted && m.state !== 'undecryptable'),
    'encrypted with OMEMO',
  );
  for (const message of written) {
    await until(
      async () =>
        ['delivered', 'read'].includes(
          (await annStorage.messages.get('ann@localhost', message.id))?.state ?? '',
        ),
      `${message.body} delivered`,
    );
  }
  await until(
    async () => (await annStorage.outbox.list('ann@localhost')).length === 0,
    'the outbox to empty',
  );
  assert.ok(!(await serverFiles()).includes('offline secret'), 'no clear text on the server');
});

test('written with no connection at all (an app started offline) goes out with the next Messenger', async () => {
  const danStorage = createMemoryStorage();
  await device('dan', danStorage);
  const catStorage = createMemoryStorage();
  // Cat's device exists (keys published), then closes; Cat writes while it has no Messenger.
  const first = await device('cat', catStorage);
  await first.contacts.add('dan@localhost');
  await first.close();
  await first.session.close();
  open.splice(open.indexOf(first), 1);
  const message = await writeForLater(catStorage, {
    account: 'cat@localhost',
    peer: 'dan@localhost',
    body: 'written on the train',
    id: 'train-1',
    timestamp: Date.now(),
  });
  assert.equal(message.state, 'pending');

  await device('cat', catStorage);
  const arrived = await until(
    async () =>
      (await danStorage.messages.history('dan@localhost', 'cat@localhost', { limit: 100 })).find(
        (m) => m.body === 'written on the train',
      ),
    'the message written offline',
  );
  assert.equal(arrived.encrypted, true);
  assert.equal(arrived.originId, 'train-1');
  await until(
    async () => (await catStorage.messages.get('cat@localhost', 'train-1'))?.state === 'delivered',
    'delivered',
  );
});

test('a message to someone without encryption written offline fails once connected, never sent in the clear', async () => {
  await suite.server.createAccount('eve', PASSWORD); // no OMEMO device ever
  const storage = createMemoryStorage();
  await writeForLater(storage, {
    account: 'ann@localhost',
    peer: 'eve@localhost',
    body: 'for eve',
    id: 'eve-1',
    timestamp: Date.now(),
  });
  await device('ann', storage);
  const failed = await until(async () => {
    const m = await storage.messages.get('ann@localhost', 'eve-1');
    return m?.state === 'failed' ? m : undefined;
  }, 'the message to fail');
  assert.equal(failed.failure?.code, 'NoOmemoDevice');
  assert.deepEqual(await storage.outbox.list('ann@localhost'), []);
});
