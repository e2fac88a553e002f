// Writing first to OMEMO clients that publish differently from Hush, against a real Prosody:
// - a bundle whose signed prekey and one-time prekey have id 0 (Converse.js publishes
//   signedPreKeyId='0'), with some invalid prekeys beside them;
// - a device list and bundle readable by presence subscribers only (published without
//   access_model=open): Hush asks for a subscription, reports why it cannot send, and reads them once
//   the contact accepts;
// - device lists that change while no push reaches Hush (no presence subscription): a message from a
//   device it does not know, or encrypted for one, makes it fetch the list again, and a roster
//   contact whose presence it does not see is asked for it.
// The peers are Debian's python-omemo (packages/test-utils/python), or Hush itself for new devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import {
  configureAccessModel,
  messageWithBody,
  publishItem,
  serverSuite,
  testPeers,
  until,
} from '@hush/test-utils';
import { testClients, testSessions } from '@hush/test-utils/sessions';
import type { XmppSession } from '../xmpp/session.ts';
import type { Storage, StoredMessage } from '../storage/types.ts';
import type { HushClient } from '../client.ts';
import type { OmemoEvent } from './omemo.ts';
import { DEVICE_LIST_NODE, NS_OMEMO_LEGACY, bundleNode } from './bundle.ts';
import { NS_PUBSUB, OmemoPepError, fetchDeviceList } from './pep.ts';

const PASSWORD = 'first-contact-password';
const OLDMEMO = `/${NS_OMEMO_LEGACY}`;
const clients = testClients(() => suite.server);
const sessions = testSessions(() => suite.server);

const suite = serverSuite({
  accounts: [
    ...['alice', 'zero', 'closed', 'frank', 'half', 'gina'],
    ...['bob', 'carol', 'dave', 'erin', 'ivan', 'judy'],
  ],
  password: PASSWORD,
  scratch: 'hush-first-contact-',
  closeFirst: async () => {
    await clients.closeAll();
    await sessions.closeAll();
    await peers.stopAll();
  },
});
const peers = testPeers(suite, PASSWORD);

const login = (name: string) => sessions.open(`${name}@localhost`, PASSWORD);

interface HushDevice {
  client: HushClient;
  storage: Storage;
  events: OmemoEvent[];
  history(peer: string): Promise<StoredMessage[]>;
}

async function hush(name: string): Promise<HushDevice> {
  const events: OmemoEvent[] = [];
  const { client, storage } = await clients.start(`${name}@localhost`, PASSWORD, {
    onOmemoEvent: (e) => events.push(e),
  });
  return {
    client,
    storage,
    events,
    history: (peer) => storage.messages.history(`${name}@localhost`, peer, { limit: 100 }),
  };
}

const python = (name: string) => peers.start(name);

/** Sends `body` and fails at once, with the reason, when Hush refused to encrypt it. */
async function send(from: HushDevice, to: string, body: string): Promise<StoredMessage> {
  const message = await from.client.messenger.sendText(to, body);
  const stored = await from.storage.messages.get(message.account, message.id);
  if (stored?.state === 'failed') {
    assert.fail(`"${body}" was not sent: ${stored.failure?.code}: ${stored.failure?.message}`);
  }
  return message;
}

/** The decrypted incoming message with this body, waiting for it; fails on an undecryptable one. */
async function received(device: HushDevice, peer: string, body: string): Promise<StoredMessage> {
  return until(async () => {
    const history = await device.history(peer);
    const broken = history.find((m) => m.direction === 'in' && m.failure);
    if (broken)
      assert.fail(
        `undecryptable from ${peer}: ${broken.failure?.code}: ${broken.failure?.message}`,
      );
    return history.find((m) => m.direction === 'in' && m.body === body);
  }, `"${body}" from ${peer}`);
}

async function fetchItem(session: XmppSession, jid: string, node: string): Promise<Element> {
  const result = await session.request(
    xml(
      'iq',
      { type: 'get', to: jid },
      xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node })),
    ),
  );
  const payload = result
    .getChild('pubsub', NS_PUBSUB)
    ?.getChild('items')
    ?.getChild('item')
    ?.getChildElements()[0];
  assert.ok(payload, `an item in ${node}`);
  return payload;
}

test('a bundle with signed prekey id 0 and prekey id 0 (as Converse.js publishes) gets a first message', async () => {
  // python-omemo numbers its keys from 1: renumber them from 0 in its state while it is stopped,
  // and it publishes its bundle again with those ids when it starts.
  const first = await python('zero');
  await peers.stop(first);
  const stateFile = join(suite.scratch, 'zero', 'omemo.json');
  const state = JSON.parse(await readFile(stateFile, 'utf8')) as Record<string, unknown>;
  for (const key of [`${OLDMEMO}/signed_pre_key_ids`, `${OLDMEMO}/pre_key_ids`]) {
    const ids = state[key] as Record<string, number>;
    for (const name of Object.keys(ids)) ids[name] = (ids[name] ?? 0) - 1;
  }
  state[`${OLDMEMO}/pre_key_id_counter`] = (state[`${OLDMEMO}/pre_key_id_counter`] as number) - 1;
  await writeFile(stateFile, JSON.stringify(state));
  const zero = await python('zero');

  // Of the published prekeys keep only id 0, and add invalid ones a sloppy client might write:
  // Hush must pick prekey 0 and drop the others, not refuse the bundle.
  const owner = await login('zero');
  const bundle = await fetchItem(owner, 'zero@localhost', bundleNode(zero.deviceId));
  assert.equal(bundle.getChild('signedPreKeyPublic')?.attrs.signedPreKeyId, '0');
  const prekeys = bundle.getChild('prekeys');
  assert.ok(prekeys);
  const kept = prekeys.getChildren('preKeyPublic').find((k) => k.attrs.preKeyId === '0');
  assert.ok(kept, 'python-omemo publishes prekey 0');
  const valid = kept.text();
  prekeys.children = [
    kept,
    xml('preKeyPublic', { preKeyId: '4294967296' }, valid),
    xml('preKeyPublic', { preKeyId: '-3' }, valid),
    xml('preKeyPublic', { preKeyId: '7' }, 'not base64!'),
    xml('preKeyPublic', { preKeyId: '8' }, Buffer.alloc(31).toString('base64')),
  ];
  await publishItem(owner, bundleNode(zero.deviceId), bundle, { accessModel: 'open' });

  const alice = await hush('alice');
  await send(alice, 'zero@localhost', 'first contact with key 0');
  const got = await zero.next(messageWithBody('first contact with key 0'));
  assert.ok(got.event === 'message' && got.encrypted && got.prekey, 'a PreKey message on key 0');
  await zero.send('alice@localhost', 'key 0 works');
  assert.equal((await received(alice, 'zero@localhost', 'key 0 works')).encrypted, true);
});

test('keys for presence subscribers only: Hush asks for a subscription, says why, and sends once accepted', async () => {
  const closed = await python('closed');
  // As a client that publishes without publish-options leaves its nodes: access model presence.
  const owner = await login('closed');
  await configureAccessModel(owner, DEVICE_LIST_NODE, 'presence');
  await configureAccessModel(owner, bundleNode(closed.deviceId), 'presence');
  const stranger = await login('dave');
  const refused = await fetchDeviceList(stranger, 'closed@localhost').then(
    () => assert.fail('a stranger read a presence-only list'),
    (error: unknown) => error,
  );
  assert.ok(refused instanceof OmemoPepError && refused.reason === 'Forbidden', String(refused));

  const frank = await hush('frank');
  const message = await frank.client.messenger.sendText('closed@localhost', 'let me in');
  const failed = await frank.storage.messages.get(message.account, message.id);
  assert.equal(failed?.state, 'failed');
  assert.equal(failed?.failure?.code, 'NoOmemoDevice');
  assert.match(failed?.failure?.message ?? '', /contacts only: a contact request was sent/);
  // python-omemo's slixmpp accepts subscription requests by itself; then the list is read again.
  await until(
    () => frank.events.some((e) => e.type === 'devices' && e.jid === 'closed@localhost'),
    'the list of closed@localhost once subscribed',
  );
  // The devices event sends it again by itself (client.ts): no retry by hand.
  await until(
    async () => (await frank.storage.messages.get(message.account, message.id))?.state !== 'failed',
    'the message sent again once the keys are readable',
  );
  const got = await closed.next(messageWithBody('let me in'));
  assert.ok(got.event === 'message' && got.encrypted);
});

test('a device list open to all but a bundle for subscribers only: the same request, then the message goes', async () => {
  const half = await python('half');
  const owner = await login('half');
  await configureAccessModel(owner, bundleNode(half.deviceId), 'presence');

  const gina = await hush('gina');
  const message = await gina.client.messenger.sendText('half@localhost', 'your keys, please');
  const failed = await gina.storage.messages.get(message.account, message.id);
  assert.equal(failed?.state, 'failed');
  assert.equal(failed?.failure?.code, 'NoOmemoDevice');
  // The refused bundle is reported as such, with the account it belongs to.
  const reported = gina.events.find(
    (e) => e.type === 'error' && e.error instanceof OmemoPepError && e.error.reason === 'Forbidden',
  );
  assert.ok(
    reported?.type === 'error' && (reported.error as OmemoPepError).jid === 'half@localhost',
  );
  // python-omemo's slixmpp accepts the request by itself; its bundle is readable from then on.
  await until(
    () => ['to', 'both'].includes(gina.client.contacts.get('half@localhost')?.subscription ?? ''),
    'the presence subscription to half@localhost',
  );
  // The devices event sends it again by itself (client.ts): no retry by hand.
  await until(
    async () => (await gina.storage.messages.get(message.account, message.id))?.state !== 'failed',
    'the message sent again once the keys are readable',
  );
  const got = await half.next(messageWithBody('your keys, please'));
  assert.ok(got.event === 'message' && got.encrypted);
});

test("a contact's new device that no push announced: its first message makes Hush fetch the list again", async () => {
  // bob and carol are strangers: no presence subscription, so bob's list changes reach carol only
  // when carol fetches them.
  const bob1 = await hush('bob');
  const carol = await hush('carol');
  await send(carol, 'bob@localhost', 'hello bob');
  await received(bob1, 'carol@localhost', 'hello bob');

  const bob2 = await hush('bob');
  await send(bob2, 'carol@localhost', 'hello from my new device');
  await received(carol, 'bob@localhost', 'hello from my new device');
  await send(carol, 'bob@localhost', 'both your devices read this');
  await received(bob2, 'carol@localhost', 'both your devices read this');
  await received(bob1, 'carol@localhost', 'both your devices read this');
});

test('a message encrypted for a device no known list names makes Hush fetch the list again', async () => {
  const dave1 = await hush('dave');
  const erin = await hush('erin');
  await send(erin, 'dave@localhost', 'hello dave');
  await received(dave1, 'erin@localhost', 'hello dave');

  // dave's new device writes nothing; dave's first device learns of it by its own list's push and
  // encrypts for it too (its own other device), which erin sees as an unknown recipient.
  const dave2 = await hush('dave');
  const dave2Id = dave2.client.omemo?.deviceId;
  await until(
    async () =>
      (await dave1.storage.omemo.listDevices('dave@localhost', 'dave@localhost')).some(
        (d) => d.deviceId === dave2Id && d.active,
      ),
    "dave's first device to learn of the second",
  );
  await send(dave1, 'erin@localhost', 'I have a new device');
  await received(erin, 'dave@localhost', 'I have a new device');
  await send(erin, 'dave@localhost', 'welcome, new device');
  await received(dave2, 'erin@localhost', 'welcome, new device');
});

test('a roster contact whose presence Hush does not see: a list that changed unseen makes Hush ask to see it', async () => {
  const ivan = await hush('ivan');
  const judy1 = await hush('judy');
  // judy is in ivan's roster, but ivan never asked to see her presence (subscription none): her
  // list changes are not pushed to him.
  await ivan.client.session.request(
    xml(
      'iq',
      { type: 'set' },
      xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'judy@localhost' })),
    ),
  );
  await send(ivan, 'judy@localhost', 'hi judy');
  await received(judy1, 'ivan@localhost', 'hi judy');
  assert.deepEqual(judy1.client.contacts.requests(), []);

  const judy2 = await hush('judy');
  await send(judy2, 'ivan@localhost', 'my new device');
  await received(ivan, 'judy@localhost', 'my new device');
  await until(
    () => judy1.client.contacts.requests().some((request) => request.jid === 'ivan@localhost'),
    "ivan's request to see judy's presence",
  );
});
