// The wired client against a real Prosody: what only the wiring of contacts, OMEMO and chat does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, until } from '@hush/test-utils';
import { openSession } from './xmpp/session.ts';
import { createMemoryStorage } from './storage/memory.ts';
import type { Storage } from './storage/types.ts';
import { startClient, type HushClient } from './client.ts';

const PASSWORD = 'client-test-password';
const open: HushClient[] = [];

const suite = serverSuite({
  accounts: ['ivy', 'jon', 'kim', 'lea', 'max'],
  password: PASSWORD,
  closeFirst: async () => {
    for (const client of open.splice(0).reverse()) {
      await client.close().catch(() => undefined);
      await client.session.close();
    }
  },
});

let devices = 0;

async function device(
  name: string,
  storage: Storage,
  encryption: boolean,
  preKeyCount?: number,
): Promise<HushClient> {
  const session = await openSession({
    service: suite.server.websocketUrl,
    jid: `${name}@localhost`,
    password: PASSWORD,
    // One resource per device: two open at once under one resource knock each other off.
    resource: `${name}-${encryption ? 'omemo' : 'plain'}-${++devices}`,
  });
  const client = await startClient({
    session,
    storage,
    encryption,
    ...(preKeyCount ? { omemo: { keyPolicy: { preKeyCount } } } : {}),
  });
  open.push(client);
  return client;
}

test('a message that failed for want of the peer’s keys goes out by itself once their devices appear', async () => {
  const ivyStorage = createMemoryStorage();
  const ivy = await device('ivy', ivyStorage, true);
  // Jon, a contact, has no OMEMO device yet.
  const jonPlain = await device('jon', createMemoryStorage(), false);
  await ivy.contacts.add('jon@localhost');
  await jonPlain.contacts.add('ivy@localhost');
  await until(() => ivy.contacts.available('jon@localhost'), 'jon online for ivy');

  const message = await ivy.messenger.sendText('jon@localhost', 'waiting for your keys');
  await until(
    async () => (await ivyStorage.messages.get('ivy@localhost', message.id))?.state === 'failed',
    'the message fails: jon has no device',
  );
  assert.equal(
    (await ivyStorage.messages.get('ivy@localhost', message.id))?.failure?.code,
    'NoOmemoDevice',
  );

  // Jon installs an OMEMO client: its device list reaches ivy (a contact with +notify caps).
  const jonStorage = createMemoryStorage();
  await device('jon', jonStorage, true);
  await until(
    async () =>
      (await jonStorage.messages.history('jon@localhost', 'ivy@localhost', { limit: 10 })).some(
        (m) => m.body === 'waiting for your keys' && m.encrypted,
      ),
    'jon reads it, encrypted, without ivy sending it again by hand',
    30_000,
  );
  const state = await until(async () => {
    const current = (await ivyStorage.messages.get('ivy@localhost', message.id))?.state;
    return current !== 'pending' && current;
  }, "the server's ack");
  assert.ok(state === 'sent' || state === 'delivered' || state === 'read', state);
});

test('a message decrypted but not stored (the process ended in between) decrypts again from the archive', async () => {
  const ivyStorage = createMemoryStorage();
  const ivy = await device('ivy', ivyStorage, true);
  const jonStorage = createMemoryStorage();
  // The first store of an incoming message fails, as if the process were killed right after the
  // Signal session moved on: what is on disk is the session, not the message.
  let failNext = true;
  const messages = new Proxy(jonStorage.messages, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'add')
        return async (message: Parameters<Storage['messages']['add']>[0]) => {
          if (failNext && message.direction === 'in' && message.body === 'kept either way') {
            failNext = false;
            throw new Error('killed before the message was stored');
          }
          return target.add(message);
        };
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  const crashing: Storage = { ...jonStorage, messages };
  const jon = await device('jon', crashing, true);
  await ivy.messenger.sendText('jon@localhost', 'kept either way');
  await until(() => !failNext, 'the failed store', 30_000);
  await jon.close();
  await jon.session.close();

  // The next start catches up from the archive. The session on disk is the one from before the
  // message (what decrypting it changed was kept back until it was stored), so it decrypts again.
  await device('jon', jonStorage, true);
  await until(
    async () =>
      (await jonStorage.messages.history('jon@localhost', 'ivy@localhost', { limit: 10 })).some(
        (m) => m.direction === 'in' && m.state === 'received' && m.body === 'kept either way',
      ),
    'the message decrypted from the archive',
    30_000,
  );
  // And the conversation goes on in both directions on that session.
  await ivy.messenger.sendText('jon@localhost', 'and the next one');
  await until(
    async () =>
      (await jonStorage.messages.history('jon@localhost', 'ivy@localhost', { limit: 10 })).some(
        (m) => m.body === 'and the next one' && m.state === 'received',
      ),
    'the next message decrypted',
    30_000,
  );
});

test('two people who first write with the same one-time prekey are both read', async () => {
  // Kim publishes one one-time prekey and goes offline: Lea and Max both build their session with
  // it, as two senders picking the same one of 100 at random do (a one-in-ten chance for five
  // first contacts at once). The first PreKey message read uses it up; the second must not fail.
  const kimStorage = createMemoryStorage();
  const kim = await device('kim', kimStorage, true, 1);
  await kim.close();
  await kim.session.close();
  const lea = await device('lea', createMemoryStorage(), true);
  const max = await device('max', createMemoryStorage(), true);
  await lea.messenger.sendText('kim@localhost', 'from lea');
  await max.messenger.sendText('kim@localhost', 'from max');
  await device('kim', kimStorage, true, 1);
  for (const [peer, body] of [
    ['lea@localhost', 'from lea'],
    ['max@localhost', 'from max'],
  ] as const) {
    const message = await until(
      async () =>
        (await kimStorage.messages.history('kim@localhost', peer, { limit: 10 })).find(
          (m) => m.direction === 'in',
        ),
      `the message from ${peer}`,
      30_000,
    );
    assert.equal(message.state, 'received', `${peer}: ${message.failure?.message ?? ''}`);
    assert.equal(message.body, body);
  }
});
