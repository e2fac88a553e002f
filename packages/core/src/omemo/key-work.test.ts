// Key maintenance against a real Prosody 13: a start publishes nothing when the server already has
// this device's bundles, and publishes again a bundle the server lost or holds stale.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { retractItem, serverSuite } from '@hush/test-utils';
import { testSessions } from '@hush/test-utils/sessions';
import type { XmppSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import type { OmemoStore } from '../storage/types.ts';
import { startClient } from '../client.ts';
import { BUNDLES_NODE, DEVICES_NODE } from '../omemo2/bundle.ts';
import { fetchBundle as fetchBundle2 } from '../omemo2/pep.ts';
import { DEVICE_LIST_NODE, bundleNode } from './bundle.ts';
import { installNobleCrypto } from './crypto-provider.ts';
import { KeyWork, sameBundle } from './key-work.ts';
import { currentBundle, DEFAULT_KEY_POLICY, ensureIdentity } from './keys.ts';
import { NS_PUBSUB, NS_PUBSUB_OWNER, fetchBundle, publishBundle } from './pep.ts';

const PASSWORD = 'key-work-password';
const sessions = testSessions(() => suite.server);

before(() => installNobleCrypto());
const suite = serverSuite({
  closeFirst: () => sessions.closeAll(),
});

let people = 0;
async function login(jid?: string): Promise<XmppSession> {
  const account = jid ?? (await suite.server.createAccount(`keys${++people}`, PASSWORD));
  return sessions.open(account, PASSWORD);
}

/** The nodes this session publishes to, as it sends them. */
function publishes(session: XmppSession): string[] {
  const nodes: string[] = [];
  session.client.on('send', (element: Element) => {
    const publish = element.getChild('pubsub', NS_PUBSUB)?.getChild('publish');
    if (element.is('iq') && publish) nodes.push(String(publish.attrs.node));
  });
  return nodes;
}

/** Key work on this store, as one Omemo holds it. */
function keyWork(session: XmppSession, store: OmemoStore): KeyWork {
  return new KeyWork({
    session,
    store,
    account: session.jid.split('/')[0] ?? '',
    policy: DEFAULT_KEY_POLICY,
    now: Date.now,
    randomBytes: (length) => new Uint8Array(randomBytes(length)),
  });
}

async function firstStart(): Promise<{ store: OmemoStore; jid: string; deviceId: number }> {
  const session = await login();
  const jid = session.jid.split('/')[0] ?? '';
  const store = createMemoryStorage().omemo;
  const identity = await ensureIdentity(
    store,
    jid,
    (n) => new Uint8Array(randomBytes(n)),
    Date.now(),
  );
  const sent = publishes(session);
  const keys = keyWork(session, store);
  await keys.run(true);
  // New keys: both bundles go out.
  assert.deepEqual(sent.sort(), [BUNDLES_NODE, bundleNode(identity.deviceId)].sort());
  await session.close();
  return { store, jid, deviceId: identity.deviceId };
}

test('a second start with nothing changed publishes nothing, and reads both bundles back', async () => {
  const { store, jid, deviceId } = await firstStart();
  const session = await login(jid);
  const sent = publishes(session);
  const reads: string[] = [];
  session.client.on('send', (element: Element) => {
    const items = element.getChild('pubsub', NS_PUBSUB)?.getChild('items');
    if (items) reads.push(String(items.attrs.node));
  });
  const keys = keyWork(session, store);
  // A start (Omemo.start), then the maintenance startClient asks for once online.
  await keys.run(true);
  assert.deepEqual(reads, []);
  await keys.run(false);
  assert.deepEqual(sent, []);
  assert.deepEqual(reads.sort(), [BUNDLES_NODE, bundleNode(deviceId)].sort());
});

test('a start publishes again a bundle the server lost or holds stale, and only that one', async () => {
  const { store, jid, deviceId } = await firstStart();
  const identity = await store.getIdentity(jid);
  assert.ok(identity);
  const expected = await currentBundle(store, jid, identity);

  // The OMEMO 2 bundle is gone (retracted); the 0.3 one is stale: an older copy lacking a prekey.
  const other = await login(jid);
  await retractItem(other, BUNDLES_NODE, String(deviceId));
  await publishBundle(other, deviceId, { ...expected, preKeys: expected.preKeys.slice(1) });
  await assert.rejects(fetchBundle2(other, jid, deviceId), { reason: 'NotFound' });

  const session = await login(jid);
  const sent = publishes(session);
  const keys = keyWork(session, store);
  await keys.run(true);
  assert.deepEqual(sent, []);
  await keys.run(false);
  assert.deepEqual(sent.sort(), [BUNDLES_NODE, bundleNode(deviceId)].sort());
  assert.ok(sameBundle(await fetchBundle(other, jid, deviceId), expected));
  const omemo2 = await fetchBundle2(other, jid, deviceId);
  assert.equal(omemo2.preKeys.length, expected.preKeys.length);

  // Now both are current: a further start publishes nothing.
  sent.length = 0;
  const again = keyWork(session, store);
  await again.run(true);
  await again.run(false);
  assert.deepEqual(sent, []);
});

test('a client started on a server that lost its bundle nodes publishes them again, even when closed at once', async () => {
  const { store, jid, deviceId } = await firstStart();
  const other = await login(jid);
  for (const node of [bundleNode(deviceId), BUNDLES_NODE]) {
    await other.request(
      xml(
        'iq',
        { type: 'set' },
        xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('delete', { node })),
      ),
    );
  }
  await assert.rejects(fetchBundle(other, jid, deviceId), { reason: 'NotFound' });

  const storage = { ...createMemoryStorage(), omemo: store };
  const session = await login(jid);
  const client = await startClient({ session, storage });
  // Closed at once, as a CLI command does: the close waits for the republishing.
  await client.close();
  assert.ok(sameBundle(await fetchBundle(other, jid, deviceId), await expectedBundle(store, jid)));
  await fetchBundle2(other, jid, deviceId);
});

async function expectedBundle(store: OmemoStore, jid: string) {
  const identity = await store.getIdentity(jid);
  assert.ok(identity);
  return currentBundle(store, jid, identity);
}

test('a new device reads its device lists beside its key work, and names itself in them only once its bundles are out', async () => {
  const session = await login();
  // Every PEP read and publish, as sent, and each publish's answer.
  const events: string[] = [];
  const publishIds = new Map<string, string>();
  session.client.on('send', (element: Element) => {
    const pubsub = element.getChild('pubsub', NS_PUBSUB);
    const publish = pubsub?.getChild('publish');
    const items = pubsub?.getChild('items');
    if (publish) {
      events.push(`publish ${String(publish.attrs.node)}`);
      publishIds.set(String(element.attrs.id), String(publish.attrs.node));
    }
    if (items) events.push(`read ${String(items.attrs.node)}`);
  });
  session.client.on('element', (element: Element) => {
    const node = publishIds.get(String(element.attrs.id));
    if (element.is('iq') && node) events.push(`published ${node}`);
  });
  const client = await startClient({ session, storage: createMemoryStorage() });
  await client.close();
  const deviceId = client.omemo?.deviceId ?? 0;
  const at = (event: string) => {
    const index = events.indexOf(event);
    assert.ok(index >= 0, `${event} in ${events.join(', ')}`);
    return index;
  };
  const bundlesOut = Math.max(
    at(`published ${BUNDLES_NODE}`),
    at(`published ${bundleNode(deviceId)}`),
  );
  for (const list of [DEVICE_LIST_NODE, DEVICES_NODE]) {
    assert.ok(at(`read ${list}`) < at(`publish ${bundleNode(deviceId)}`), `${list} read early`);
    assert.ok(at(`publish ${list}`) > bundlesOut, `${list} named the device after its bundles`);
  }
});
