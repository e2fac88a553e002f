// OMEMO 2 device lists and bundles in PEP against a real Prosody: open to strangers, one bundle item
// per device in one node, key id 0, absent and malformed items as typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import xml from '@xmpp/xml';
import { publishItem, rejection, serverSuite } from '@hush/test-utils';
import { testSessions } from '@hush/test-utils/sessions';
import { NS_PUBSUB_OWNER, OmemoPepError } from '../omemo/pep.ts';
import { BUNDLES_NODE, NS_OMEMO2, type Omemo2Bundle } from './bundle.ts';
import { fetchBundle, fetchDeviceList, publishBundle, publishDeviceList } from './pep.ts';

const PASSWORD = 'omemo2-pep-password';
const sessions = testSessions(() => suite.server);

const suite = serverSuite({
  accounts: ['alice', 'bob', 'carol'],
  password: PASSWORD,
  closeFirst: () => sessions.closeAll(),
});

const login = (name: string) => sessions.open(`${name}@localhost`, PASSWORD);

/** Random keys as plain Uint8Arrays (what the parser returns), not Buffers. */
const random = (length: number) => new Uint8Array(randomBytes(length));

function bundle(preKeyIds: number[]): Omemo2Bundle {
  return {
    identityKey: random(32),
    signedPreKey: { id: 0, publicKey: random(32), signature: random(64) },
    preKeys: preKeyIds.map((id) => ({ id, publicKey: random(32) })),
  };
}

test('a stranger reads the OMEMO 2 device list and each device bundle, one item per device', async () => {
  const alice = await login('alice');
  const bob = await login('bob');
  assert.deepEqual(await fetchDeviceList(bob, 'alice@localhost'), []);

  const phone = bundle(Array.from({ length: 100 }, (_, i) => i));
  const laptop = bundle([0, 1, 2]);
  await publishDeviceList(alice, [{ id: 11, label: 'Phone' }, { id: 12 }]);
  await publishBundle(alice, 11, phone);
  await publishBundle(alice, 12, laptop);

  assert.deepEqual(await fetchDeviceList(bob, 'Alice@localhost'), [
    { id: 11, label: 'Phone' },
    { id: 12 },
  ]);
  assert.deepEqual(await fetchBundle(bob, 'alice@localhost', 11), phone);
  assert.deepEqual(await fetchBundle(bob, 'alice@localhost', 12), laptop);
  // Republishing one device's bundle replaces that item only.
  const rotated = bundle([5]);
  await publishBundle(alice, 12, rotated);
  assert.deepEqual(await fetchBundle(bob, 'alice@localhost', 12), rotated);
  assert.deepEqual(await fetchBundle(bob, 'alice@localhost', 11), phone);

  const config = await alice.request(
    xml(
      'iq',
      { type: 'get' },
      xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node: BUNDLES_NODE })),
    ),
  );
  const fields = new Map(
    (
      config
        .getChild('pubsub', NS_PUBSUB_OWNER)
        ?.getChild('configure')
        ?.getChild('x', 'jabber:x:data')
        ?.getChildren('field') ?? []
    ).map((field) => [field.attrs.var, field.getChildText('value')]),
  );
  assert.equal(fields.get('pubsub#access_model'), 'open');
});

test('OMEMO 2: an absent bundle is NotFound, a broken one Malformed with the reason, both naming the account', async () => {
  const carol = await login('carol');
  const bob = await login('bob');
  const missing = await rejection(fetchBundle(bob, 'carol@localhost', 99), OmemoPepError);
  assert.equal(missing.reason, 'NotFound');
  assert.equal(missing.jid, 'carol@localhost');

  await publishBundle(carol, 7, bundle([1]));
  // Another device's item is not handed over for a device without one.
  assert.equal(
    (await rejection(fetchBundle(bob, 'carol@localhost', 8), OmemoPepError)).reason,
    'NotFound',
  );

  await publishItem(
    carol,
    BUNDLES_NODE,
    xml('bundle', { xmlns: NS_OMEMO2 }, xml('spks', {}, 'AAAA')),
    { itemId: '9' },
  );
  const malformed = await rejection(fetchBundle(bob, 'carol@localhost', 9), OmemoPepError);
  assert.equal(malformed.reason, 'Malformed');
  assert.match(malformed.message, /no signed prekey/);
});
