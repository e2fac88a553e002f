// OMEMO device lists and bundles in PEP against a real Prosody 13: open access for non-contacts,
// absent nodes, reconfiguring a node another client made, and typed errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import xml from '@xmpp/xml';
import { KeyHelper } from '@privacyresearch/libsignal-protocol-typescript';
import { publishItem, rejection, serverSuite } from '@hush/test-utils';
import { testSessions } from '@hush/test-utils/sessions';
import type { XmppSession } from '../xmpp/session.ts';
import { installNobleCrypto } from './crypto-provider.ts';
import { DEVICE_LIST_NODE, bundleNode, buildDeviceList, type OmemoBundle } from './bundle.ts';
import {
  NS_PUBSUB_OWNER,
  OmemoPepError,
  onDeviceListUpdate,
  type DeviceListUpdate,
  fetchBundle,
  fetchDeviceList,
  publishBundle,
  publishDeviceList,
} from './pep.ts';

const sessions = testSessions(() => suite.server);
before(() => installNobleCrypto());
const suite = serverSuite({
  accounts: ['alice', 'bob', 'carol', 'dave', 'erin'],
  password: (name) => `${name}-password`,
  closeFirst: () => sessions.closeAll(),
});

const login = (name: string) => sessions.open(`${name}@localhost`, `${name}-password`);

async function generateBundle(preKeyCount: number): Promise<OmemoBundle> {
  const identity = await KeyHelper.generateIdentityKeyPair();
  const signed = await KeyHelper.generateSignedPreKey(identity, 1);
  const preKeys = await Promise.all(
    Array.from({ length: preKeyCount }, (_, i) => KeyHelper.generatePreKey(i + 1)),
  );
  return {
    identityKey: new Uint8Array(identity.pubKey),
    signedPreKey: {
      id: signed.keyId,
      publicKey: new Uint8Array(signed.keyPair.pubKey),
      signature: new Uint8Array(signed.signature),
    },
    preKeys: preKeys.map((preKey) => ({
      id: preKey.keyId,
      publicKey: new Uint8Array(preKey.keyPair.pubKey),
    })),
  };
}

test('bob, not a contact of alice, reads her device list and a 100-prekey bundle exactly as published', async () => {
  const alice = await login('alice');
  const bob = await login('bob');
  const deviceId = 1_234_567;
  const bundle = await generateBundle(100);
  assert.equal(bundle.identityKey.length, 33);

  await publishDeviceList(alice, [deviceId]);
  await publishBundle(alice, deviceId, bundle);

  assert.deepEqual(await fetchDeviceList(bob, 'alice@localhost'), [deviceId]);
  assert.deepEqual(await fetchBundle(bob, 'Alice@localhost', deviceId), bundle);
  // The account reads its own nodes too.
  assert.deepEqual(await fetchDeviceList(alice, 'alice@localhost'), [deviceId]);

  // Republishing replaces the one 'current' item.
  await publishDeviceList(alice, [deviceId, 42]);
  assert.deepEqual(await fetchDeviceList(bob, 'alice@localhost'), [deviceId, 42]);
});

test('no device list is [] for everyone (Prosody 13 answers item-not-found); an unknown device is a typed error naming the account', async () => {
  const carol = await login('carol');
  const bob = await login('bob');
  // Prosody 13 answers item-not-found for a node (or an account) that does not exist, to its owner
  // and to strangers alike (0.12 told strangers forbidden): no OMEMO there.
  assert.deepEqual(await fetchDeviceList(carol, 'carol@localhost'), []);
  for (const jid of ['carol@localhost', 'nobody@localhost']) {
    assert.deepEqual(await fetchDeviceList(bob, jid), []);
  }

  for (const reader of [carol, bob]) {
    const missing = await rejection(fetchBundle(reader, 'Carol@localhost', 99), OmemoPepError);
    assert.equal(missing.reason, 'NotFound');
    assert.equal(missing.code, 'ProtocolError');
    assert.equal(missing.jid, 'carol@localhost');
  }
  const invalid = await rejection(fetchBundle(bob, 'carol@localhost', 0), OmemoPepError);
  assert.equal(invalid.reason, 'NotFound');
});

test('a node left at another access model is reconfigured to open on publish', async () => {
  const dave = await login('dave');
  const bob = await login('bob');
  // As a client that asked for presence (or published without options where the server keeps
  // PEP's default) leaves it.
  await publishItem(dave, DEVICE_LIST_NODE, buildDeviceList([5]), { accessModel: 'presence' });
  // Not readable by strangers: forbidden (readable by presence subscribers, first-contact.test.ts).
  const forbidden = await rejection(fetchDeviceList(bob, 'dave@localhost'), OmemoPepError);
  assert.equal(forbidden.reason, 'Forbidden');
  assert.equal(forbidden.code, 'NotAllowed');
  assert.equal(forbidden.jid, 'dave@localhost');

  await publishDeviceList(dave, [5, 6]);
  assert.deepEqual(await fetchDeviceList(bob, 'dave@localhost'), [5, 6]);

  const config = await dave.request(
    xml(
      'iq',
      { type: 'get' },
      xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node: DEVICE_LIST_NODE })),
    ),
  );
  const access = config
    .getChild('pubsub', NS_PUBSUB_OWNER)
    ?.getChild('configure')
    ?.getChild('x', 'jabber:x:data')
    ?.getChildren('field')
    .find((field) => field.attrs.var === 'pubsub#access_model')
    ?.getChildText('value');
  assert.equal(access, 'open');
});

test('a malformed bundle item is a typed Malformed error', async () => {
  const dave = await login('dave');
  const bob = await login('bob');
  await publishItem(
    dave,
    bundleNode(77),
    xml('bundle', { xmlns: 'eu.siacs.conversations.axolotl' }),
    { accessModel: 'open' },
  );
  const malformed = await rejection(fetchBundle(bob, 'dave@localhost', 77), OmemoPepError);
  assert.equal(malformed.reason, 'Malformed');
  // The reason travels with the error: a UI and the logs can say what is wrong with the keys.
  assert.match(malformed.message, /it has no signed prekey/);
});

/**
 * Advertises XEP-0115 caps with devicelist+notify, as a full client does, and answers the server's
 * disco#info query for them; Prosody pushes PEP notifications only to such resources.
 */
async function advertiseNotify(session: XmppSession): Promise<void> {
  const features = ['http://jabber.org/protocol/disco#info', `${DEVICE_LIST_NODE}+notify`].sort();
  const identity = 'client/pc//Hush';
  const ver = createHash('sha1')
    .update(`${identity}<${features.join('<')}<`)
    .digest('base64');
  const capsNode = 'https://hush.invalid';
  // @xmpp/iq/callee.js, which the shared declarations leave out: a returned element is the result.
  const { iqCallee } = session.client as unknown as {
    iqCallee: { get(xmlns: string, name: string, handler: () => unknown): void };
  };
  iqCallee.get('http://jabber.org/protocol/disco#info', 'query', () =>
    xml(
      'query',
      { xmlns: 'http://jabber.org/protocol/disco#info', node: `${capsNode}#${ver}` },
      xml('identity', { category: 'client', type: 'pc', name: 'Hush' }),
      ...features.map((feature) => xml('feature', { var: feature })),
    ),
  );
  await session.send(
    xml(
      'presence',
      {},
      xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: capsNode, ver }),
    ),
  );
}

async function waitFor(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test("with devicelist+notify caps, a session gets its account's last device list, then each change", async () => {
  const erin = await login('erin');
  const erinPhone = await login('erin');
  await publishDeviceList(erin, [10]);
  // xmpp.js 0.14 applies <enabled/> (XEP-0198) after counting the stanzas that arrived with it and
  // then zeroes its count, so its next ack goes backwards and Prosody kills the stream. Stanzas
  // provoked right after login (here: the server's caps query) hit that; wait for SM first.
  await waitFor(() => erinPhone.client.streamManagement.enabled, 'stream management');
  const updates: DeviceListUpdate[] = [];
  const stop = onDeviceListUpdate(erinPhone, (update) => updates.push(update));
  await advertiseNotify(erinPhone);
  // Once it has resolved the caps, Prosody sends the last item of every node we asked +notify for.
  await waitFor(() => updates.length > 0, 'the last device list');
  assert.deepEqual(updates[0], { jid: 'erin@localhost', deviceIds: [10] });
  await publishDeviceList(erin, [11, 12]);
  await waitFor(() => updates.length > 1, 'the changed device list');
  stop();
  assert.deepEqual(updates[1], { jid: 'erin@localhost', deviceIds: [11, 12] });
});
