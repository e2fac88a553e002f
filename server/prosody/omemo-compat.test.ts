// mod_hush_omemo_compat on a real Prosody: what OMEMO clients that look for publish-options on the
// server's domain, that publish without options, or that read item-not-found for their own absent
// device list as a failure, see without it and with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import type { XmppSession } from '@hush/core';
import { publishItem, serverSuite } from '@hush/test-utils';
import { testSessions } from '@hush/test-utils/sessions';

const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const PUBLISH_OPTIONS = `${NS_PUBSUB}#publish-options`;
const DEVICE_LIST = 'eu.siacs.conversations.axolotl.devicelist';
const OMEMO2_DEVICES = 'urn:xmpp:omemo:2:devices';
const OMEMO2_BUNDLES = 'urn:xmpp:omemo:2:bundles';
const PASSWORD = 'omemo-compat-password';

const sessions = testSessions(() => suite.server);

const suite = serverSuite({
  accounts: ['alice', 'bob', 'carol'],
  password: PASSWORD,
  closeFirst: () => sessions.closeAll(),
});

const login = (name: string) => sessions.open(`${name}@localhost`, PASSWORD);

async function features(session: XmppSession, to: string): Promise<string[]> {
  const result = await session.request(
    xml('iq', { type: 'get', to }, xml('query', { xmlns: NS_DISCO_INFO })),
  );
  return (result.getChild('query', NS_DISCO_INFO)?.getChildren('feature') ?? []).map(
    (feature) => feature.attrs.var ?? '',
  );
}

/** The <items/> of a node, or the error condition. */
async function items(
  session: XmppSession,
  node: string,
  to?: string,
): Promise<Element | { condition: string }> {
  try {
    const result = await session.request(
      xml(
        'iq',
        { type: 'get', ...(to ? { to } : {}) },
        xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node })),
      ),
    );
    const found = result.getChild('pubsub', NS_PUBSUB)?.getChild('items');
    assert.ok(found, 'a result has <items/>');
    return found;
  } catch (error) {
    return { condition: (error as { condition?: string }).condition ?? String(error) };
  }
}

const deviceList = (id: string) =>
  xml('list', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('device', { id }));

/** Loads the module into the running server, as the template's modules_enabled would at start. */
async function loadModule(): Promise<void> {
  const out = await suite.server.prosodyctl(
    'shell',
    'module',
    'load',
    'hush_omemo_compat',
    'localhost',
  );
  assert.match(out, /Loaded|already loaded/i, out);
}

test('without the module, then with it: publish-options on the domain, an empty own device list', async () => {
  const alice = await login('alice');
  const bob = await login('bob');
  // What Prosody 13 says by itself (unless the template already loads the module).
  const domainBefore = await features(alice, 'localhost');
  assert.ok((await features(alice, 'alice@localhost')).includes(PUBLISH_OPTIONS), 'on the account');
  if (!domainBefore.includes(PUBLISH_OPTIONS)) {
    assert.deepEqual(await items(alice, DEVICE_LIST), { condition: 'item-not-found' });
    await loadModule();
  }

  assert.ok((await features(alice, 'localhost')).includes(PUBLISH_OPTIONS), 'on the domain');
  // The owner reads an absent device list as empty, for OMEMO 0.3 and OMEMO 2 ...
  for (const node of [DEVICE_LIST, OMEMO2_DEVICES]) {
    const own = await items(alice, node);
    assert.ok(!('condition' in own), `alice reads her absent ${node}`);
    assert.equal(own.attrs.node, node);
    assert.equal(own.getChildren('item').length, 0);
    // ... and so does a request naming her own bare JID; others still learn there is none.
    assert.ok(!('condition' in (await items(alice, node, 'alice@localhost'))));
    assert.deepEqual(await items(bob, node, 'alice@localhost'), { condition: 'item-not-found' });
  }
  // Other absent nodes keep their answer.
  assert.deepEqual(await items(alice, 'urn:xmpp:avatar:data'), { condition: 'item-not-found' });

  // Such a client then publishes its first list, without publish-options: the node is made open,
  // and from then on mod_pep answers as always.
  await publishItem(alice, DEVICE_LIST, deviceList('77'));
  const published = await items(alice, DEVICE_LIST);
  assert.ok(!('condition' in published));
  assert.equal(published.getChild('item')?.getChild('list')?.getChild('device')?.attrs.id, '77');
  const read = await items(bob, DEVICE_LIST, 'alice@localhost');
  assert.ok(!('condition' in read), 'a stranger reads the list');
});

test('OMEMO nodes published without options are open: new ones, and old ones left at presence', async () => {
  const carol = await login('carol');
  const bob = await login('bob');
  const bundleNode = 'eu.siacs.conversations.axolotl.bundles:5';
  const bundle = xml('bundle', { xmlns: 'eu.siacs.conversations.axolotl' });
  // Made before the module ran (here: explicitly presence-only), as an existing account's nodes are.
  await publishItem(carol, bundleNode, bundle, { accessModel: 'presence' });
  assert.deepEqual(await items(bob, bundleNode, 'carol@localhost'), { condition: 'forbidden' });
  if (!(await features(carol, 'localhost')).includes(PUBLISH_OPTIONS)) await loadModule();

  await publishItem(carol, bundleNode, bundle);
  assert.ok(!('condition' in (await items(bob, bundleNode, 'carol@localhost'))), 'reconfigured');
  // OMEMO 2 keeps every device's bundle in one node: a publish without options keeps them all.
  const omemo2Bundle = xml('bundle', { xmlns: 'urn:xmpp:omemo:2' });
  await publishItem(carol, OMEMO2_BUNDLES, omemo2Bundle, { itemId: '1' });
  await publishItem(carol, OMEMO2_BUNDLES, omemo2Bundle, { itemId: '2' });
  const both = await items(bob, OMEMO2_BUNDLES, 'carol@localhost');
  assert.ok(!('condition' in both));
  assert.deepEqual(
    both
      .getChildren('item')
      .map((item) => item.attrs.id)
      .sort(),
    ['1', '2'],
  );
  // Options a client names are its choice, and other nodes keep PEP's default.
  await publishItem(carol, OMEMO2_DEVICES, xml('devices', { xmlns: 'urn:xmpp:omemo:2' }), {
    accessModel: 'presence',
  });
  assert.deepEqual(await items(bob, OMEMO2_DEVICES, 'carol@localhost'), { condition: 'forbidden' });
  await publishItem(
    carol,
    'urn:xmpp:avatar:metadata',
    xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' }),
  );
  assert.deepEqual(await items(bob, 'urn:xmpp:avatar:metadata', 'carol@localhost'), {
    condition: 'forbidden',
  });
});
